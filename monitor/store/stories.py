"""Stories in the store: every new item joins one (inside the poll's transaction)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from monitor.dedup.headline import KEY_VERSION, parse
from monitor.dedup.index import MIN_SHARED_GUID, StoryIndex
from monitor.models import StoredItem, Story
from monitor.store.batch import in_lists


@dataclass(frozen=True, slots=True)
class StoryChange:
    """What assigning one item did: its story, and whether it is new or gained an outlet."""

    item: StoredItem
    story: Story
    is_new_story: bool
    gained_outlet: bool


# items.dedup_key is the headline's key after this prefix; another prefix (an older parse)
# or NULL (a row from before the column) means the title is parsed again.
_KEY_PREFIX = f"{KEY_VERSION}|"
_BATCH = 100_000  # rows loaded into the index at a time (see StoryIndex.load)


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


async def assign(
    db: aiosqlite.Connection, index: StoryIndex, items: Sequence[StoredItem]
) -> list[StoryChange]:
    """Give each new item its story: same GUID or URL, a similar headline, or a new story.

    Runs inside the poll's transaction (the store's write lock is held, so story ids can be
    allocated here) with one statement per kind of change, not one per item or per story.
    """
    rows = await db.execute_fetchall("SELECT COALESCE(MAX(id), 0) FROM stories")
    next_id = int(next(iter(rows))[0]) + 1
    new_rows: list[tuple[int, str, int, float, float]] = []
    links: list[tuple[int, str, str, int]] = []
    plan: list[tuple[StoredItem, int, bool]] = []
    for stored in items:
        item = stored.item
        seen = stored.seen_at.timestamp()
        found = index.find(item.title, item.summary, seen, item.canonical_url, item.guid)
        if found.story_id is None:
            story_id, next_id = next_id, next_id + 1
            new_rows.append((story_id, item.title, stored.id, seen, seen))
        else:
            story_id = found.story_id
        key = index.add(
            story_id, stored.id, item.title, item.summary, seen, item.canonical_url, item.guid
        )
        links.append((story_id, stored.feed_name, _KEY_PREFIX + key, stored.id))
        plan.append((stored, story_id, found.story_id is None))
    joined_set = {story_id for _, story_id, new in plan if not new}
    joined = sorted(joined_set)
    created = {row[0] for row in new_rows}
    # The feeds each older story had before this poll (read before its items are linked).
    feeds_before: dict[int, set[int]] = {}
    for marks, params in in_lists([s for s in joined if s not in created]):
        for story_id, feed_id in await db.execute_fetchall(
            f"SELECT DISTINCT story_id, feed_id FROM items WHERE story_id IN ({marks})", params
        ):
            feeds_before.setdefault(story_id, set()).add(feed_id)
    if new_rows:
        await db.executemany(
            "INSERT INTO stories (id, title, first_item_id, first_seen, last_seen, outlets)"
            " VALUES (?, ?, ?, ?, ?, 1)",
            new_rows,
        )
    await db.executemany(
        "UPDATE items SET story_id = ?, feed_name = ?, dedup_key = ? WHERE id = ?", links
    )
    if joined:
        # A story's last_seen is never below any of its items' (every write of it takes the
        # MAX) and feeds_before is every feed it had: from this poll's items alone, the same
        # values as recounting all its items, which cost two scans of a story per poll that
        # joins it (a story of 500 items: 1.5 ms a poll in the --lookalike bench).
        latest: dict[int, float] = {}
        carried: dict[int, set[int]] = {}
        for stored, story_id, _new in plan:
            if story_id in joined_set:
                at = stored.seen_at.timestamp()
                latest[story_id] = max(latest.get(story_id, at), at)
                carried.setdefault(story_id, set(feeds_before.get(story_id, ()))).add(
                    stored.feed_id
                )
        await db.executemany(
            "UPDATE stories SET last_seen = MAX(last_seen, ?), outlets = ? WHERE id = ?",
            [(latest[story_id], len(carried[story_id]), story_id) for story_id in joined],
        )
    stories = await load_stories(db, joined)
    changes = []
    for stored, story_id, new in plan:
        if new:
            # A later item of this batch may join it: it starts with this item's feed.
            feeds_before.setdefault(story_id, set()).add(stored.feed_id)
            seen_at = stored.seen_at
            story = Story(story_id, stored.item.title, stored.item.url, seen_at, seen_at,
                          (stored.feed_name,))  # fmt: skip
            changes.append(StoryChange(stored, story, True, True))
        else:
            feeds = feeds_before.setdefault(story_id, set())
            gained = stored.feed_id not in feeds
            feeds.add(stored.feed_id)
            changes.append(StoryChange(stored, stories[story_id], False, gained))
    return changes


async def load_stories(db: aiosqlite.Connection, story_ids: Sequence[int]) -> dict[int, Story]:
    """The stories of ``story_ids`` as they are stored now (two queries for all of them)."""
    heads: dict[int, Any] = {}
    outlets: dict[int, list[str]] = {}
    for marks, params in in_lists(story_ids):
        for row in await db.execute_fetchall(
            "SELECT s.id, s.title, s.first_seen, s.last_seen, i.url FROM stories s"
            f" LEFT JOIN items i ON i.id = s.first_item_id WHERE s.id IN ({marks})",
            params,
        ):
            heads[row[0]] = row
        # An outlet per feed, in the order they first carried the story.
        for story_id, feed_name, _first in await db.execute_fetchall(
            "SELECT story_id, feed_name, MIN(first_seen) FROM items"
            f" WHERE story_id IN ({marks}) AND feed_name IS NOT NULL"
            " GROUP BY story_id, feed_id ORDER BY story_id, MIN(first_seen), MIN(id)",
            params,
        ):
            outlets.setdefault(story_id, []).append(feed_name)
    stories = {}
    for story_id, (_, title, first_seen, last_seen, url) in heads.items():
        carried = tuple(outlets.get(story_id, ()))
        stories[story_id] = Story(story_id, title, url, _dt(first_seen), _dt(last_seen), carried)
    return stories


async def rebuild_index(db: aiosqlite.Connection, index: StoryIndex, since: datetime) -> int:
    """Load the items seen since ``since`` into the index; the number loaded.

    A story's items come one after the other, oldest first: that is how the index learns
    each story's first headline and when it was last seen (see ``StoryIndex.load``). The
    headlines are not parsed again where the store kept their key (``items.dedup_key``);
    older rows are parsed as before.
    """
    prefix = _KEY_PREFIX
    count = 0
    # About as many keys as will be loaded (from an index, at once): a table grown step by
    # step would re-insert a million keys over and over.
    async with db.execute(
        "SELECT COUNT(*) FROM items WHERE first_seen >= ?", (since.timestamp(),)
    ) as cur:
        row = await cur.fetchone()
    index.reserve(int(row[0]) if row else 0)
    # No column the index does not keep: the stored key without its prefix, the title only
    # where there is no current key (reading a million titles costs seconds), the GUID only
    # where it can name an article in another feed and is not the URL (``shared_guid``,
    # which the index applies again: this only spares it a million calls).
    async with db.execute(
        "SELECT story_id, CASE WHEN substr(dedup_key, 1, ?1) = ?2"
        " THEN substr(dedup_key, ?1 + 1) END AS key,"
        " CASE WHEN substr(dedup_key, 1, ?1) = ?2 THEN NULL ELSE title END, seen,"
        " canonical_url, CASE WHEN guid IS NOT canonical_url AND (length(guid) >= ?4"
        "  OR instr(guid, '://') > 0 OR substr(guid, 1, 4) IN ('urn:', 'tag:')) THEN guid END"
        " FROM (SELECT story_id, id, dedup_key, title, COALESCE(published, first_seen) AS seen,"
        "  canonical_url, guid FROM items WHERE story_id IS NOT NULL)"
        " WHERE seen >= ?3 ORDER BY story_id, seen, id",
        (len(prefix), prefix, since.timestamp(), MIN_SHARED_GUID),
    ) as cur:
        # The next rows are read (in the database's thread) while these are loaded.
        batch = asyncio.ensure_future(cur.fetchmany(_BATCH))
        try:
            while rows := await batch:
                batch = asyncio.ensure_future(cur.fetchmany(_BATCH))
                stories, keys, titles, seen, urls, guids = zip(*rows, strict=True)
                del rows  # the row tuples: a batch's worth of memory while it loads
                if None in keys:  # rows from before the column or from another parse version
                    keys = tuple(
                        parse(title).key() if key is None else key
                        for key, title in zip(keys, titles, strict=True)
                    )
                count += index.load(stories, keys, seen, urls, guids)
        finally:
            if not batch.done():
                batch.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await batch
    return count


async def list_stories(db: aiosqlite.Connection, since: datetime | None) -> list[dict[str, Any]]:
    """The stories (newest first) in ``monitor stories --json`` form."""
    cutoff = since.timestamp() if since else 0.0
    async with db.execute(
        "SELECT id, title, first_seen, last_seen, outlets, event_id FROM stories"
        " WHERE last_seen >= ? ORDER BY first_seen DESC, id DESC",
        (cutoff,),
    ) as cur:
        stories = await cur.fetchall()
    out = []
    for story_id, title, first_seen, last_seen, outlets, event_id in stories:
        async with db.execute(
            "SELECT COALESCE(i.feed_name, f.title, f.url), i.title, i.url, i.published"
            " FROM items i JOIN feeds f ON f.id = i.feed_id WHERE i.story_id = ?"
            " ORDER BY i.first_seen, i.id",
            (story_id,),
        ) as cur:
            items = [
                {
                    "feed": feed,
                    "title": item_title,
                    "url": url,
                    "published": _dt(published).isoformat() if published else None,
                }
                for feed, item_title, url, published in await cur.fetchall()
            ]
        out.append(
            {
                "id": story_id,
                "title": title,
                "first_seen": _dt(first_seen).isoformat(),
                "last_seen": _dt(last_seen).isoformat(),
                "outlets": outlets,
                "event": event_id,
                "items": items,
            }
        )
    return out
