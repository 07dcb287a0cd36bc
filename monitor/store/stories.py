"""Stories in the store: every new item joins one (inside the poll's transaction)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from monitor.dedup.headline import KEY_VERSION, parse
from monitor.dedup.index import MIN_SHARED_GUID, StoryIndex
from monitor.models import StoredItem, Story


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
    allocated here) with one statement per kind of change, not one per item.
    """
    async with db.execute("SELECT COALESCE(MAX(id), 0) FROM stories") as cur:
        row = await cur.fetchone()
    next_id = int(row[0]) + 1 if row else 1
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
    joined = {story_id for _, story_id, new in plan if not new}
    feeds_before: dict[int, set[int]] = {}
    created = {row[0] for row in new_rows}
    for story_id in joined - created:
        async with db.execute(
            "SELECT DISTINCT feed_id FROM items WHERE story_id = ?", (story_id,)
        ) as cur:
            feeds_before[story_id] = {r[0] for r in await cur.fetchall()}
    if new_rows:
        await db.executemany(
            "INSERT INTO stories (id, title, first_item_id, first_seen, last_seen, outlets)"
            " VALUES (?, ?, ?, ?, ?, 1)",
            new_rows,
        )
    await db.executemany(
        "UPDATE items SET story_id = ?, feed_name = ?, dedup_key = ? WHERE id = ?", links
    )
    for story_id in joined:
        await db.execute(
            "UPDATE stories SET last_seen = MAX(last_seen, (SELECT MAX(COALESCE(published,"
            " first_seen)) FROM items WHERE story_id = ?)), outlets = (SELECT COUNT(DISTINCT"
            " feed_id) FROM items WHERE story_id = ?) WHERE id = ?",
            (story_id, story_id, story_id),
        )
    stories = {story_id: await load_story(db, story_id) for story_id in joined}
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
            gained = stored.feed_id not in feeds_before[story_id]
            feeds_before[story_id].add(stored.feed_id)
            changes.append(StoryChange(stored, stories[story_id], False, gained))
    return changes


async def load_story(db: aiosqlite.Connection, story_id: int) -> Story:
    async with db.execute(
        "SELECT s.title, s.first_seen, s.last_seen, i.url FROM stories s"
        " LEFT JOIN items i ON i.id = s.first_item_id WHERE s.id = ?",
        (story_id,),
    ) as cur:
        row = await cur.fetchone()
    assert row is not None
    async with db.execute(
        "SELECT feed_name, MIN(first_seen) FROM items WHERE story_id = ? AND feed_name IS NOT NULL"
        " GROUP BY feed_id ORDER BY MIN(first_seen), MIN(id)",
        (story_id,),
    ) as cur:
        outlets = tuple(r[0] for r in await cur.fetchall())
    return Story(story_id, row[0], row[3], _dt(row[1]), _dt(row[2]), outlets)


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
    async with (
        _collector_paused(),
        db.execute(
            "SELECT story_id, CASE WHEN substr(dedup_key, 1, ?1) = ?2"
            " THEN substr(dedup_key, ?1 + 1) END AS key,"
            " CASE WHEN substr(dedup_key, 1, ?1) = ?2 THEN NULL ELSE title END, seen,"
            " canonical_url, CASE WHEN guid IS NOT canonical_url AND (length(guid) >= ?4"
            "  OR instr(guid, '://') > 0 OR substr(guid, 1, 4) IN ('urn:', 'tag:')) THEN guid END"
            " FROM (SELECT story_id, id, dedup_key, title, COALESCE(published, first_seen) AS seen,"
            "  canonical_url, guid FROM items WHERE story_id IS NOT NULL)"
            " WHERE seen >= ?3 ORDER BY story_id, seen, id",
            (len(prefix), prefix, since.timestamp(), MIN_SHARED_GUID),
        ) as cur,
    ):
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


@asynccontextmanager
async def _collector_paused() -> AsyncIterator[None]:
    """The cyclic garbage collector off while the window loads: the load makes no cycles,
    and every collection would walk the posting arrays loaded so far (at a million
    headlines, a third of the rebuild's time went to collections that found nothing)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


async def list_stories(db: aiosqlite.Connection, since: datetime | None) -> list[dict[str, Any]]:
    """The stories (newest first) in ``monitor stories --json`` form."""
    cutoff = since.timestamp() if since else 0.0
    async with db.execute(
        "SELECT id, title, first_seen, last_seen, outlets FROM stories WHERE last_seen >= ?"
        " ORDER BY first_seen DESC, id DESC",
        (cutoff,),
    ) as cur:
        stories = await cur.fetchall()
    out = []
    for story_id, title, first_seen, last_seen, outlets in stories:
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
                "items": items,
            }
        )
    return out
