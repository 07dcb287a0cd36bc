"""Stories in the store: the decisions of ``monitor.assign`` written (inside the poll's
transaction), and read back."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from monitor.assign import KEY_PREFIX, StoryChange, StoryDecision
from monitor.dedup.headline import parse_in
from monitor.dedup.index import MIN_SHARED_GUID, StoryIndex
from monitor.dedup.languages import headline_language
from monitor.models import Story
from monitor.store.batch import columns
from monitor.store.db import Db
from monitor.store.outlets import OutletRow, first_per_outlet, outlet_rows
from monitor.store.story_rows import after, fill_outlets, load_stories, read_outlets

__all__ = [
    "fill_outlets", "items_json", "list_stories", "load_stories", "rebuild_index", "record",
    "reserve_ids",
]  # fmt: skip

# Rows loaded into the index at a time (see StoryIndex.load): enough for numpy to work a
# column at a time, few enough that a batch's row tuples add little to the window itself
# (they are the peak of a restart's memory, and the holes they leave stay in the heap).
_BATCH = 10_000


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


async def reserve_ids(db: Db, count: int) -> Iterator[int]:
    """Ids for up to ``count`` new stories (inside the poll's transaction)."""
    return iter(await db.reserve_ids("stories", count))


async def record(db: Db, decisions: Sequence[StoryDecision]) -> list[StoryChange]:
    """Write the stories ``assign.stories`` decided: new stories, each item's link, and the
    outlets and last-seen of the stories joined. One statement per kind of change, not one
    per item or per story. A joined story's ``outlets`` are left empty: ``fill_outlets``
    reads them for the stories an alert shows (a poll joins many, alerts on few)."""
    new_rows: list[tuple[int, str, int, float, float]] = []
    links: list[tuple[int, str, str, int]] = []
    first_url: dict[int, str | None] = {}
    first_outlet: dict[int, str] = {}
    # (story, seen, outlet) of each item that joined: outlets by identity
    # (``StoredItem.outlet_key``: a <source>, else the feed)
    joins: list[tuple[int, float, str]] = []
    # The older stories joined, as stored before this poll, with the outlets they had: read
    # once, before the items are linked; what the writes make of them is worked out here
    # (``story_rows.after``) rather than read again.
    created = {d.story_id for d in decisions if d.is_new_story}
    joined = sorted({d.story_id for d in decisions if not d.is_new_story})
    heads, outlets_before = await read_outlets(db, [s for s in joined if s not in created])
    # Only the outlets the stories gain: a row of an outlet a story has is one its unique
    # indexes would refuse, after a probe of each (most of a poll's joins, most of the rows).
    outlets = first_per_outlet(((d.story_id, d.item) for d in decisions), known=outlets_before)
    keys = [d.item.outlet_key for d in decisions]  # made once: each loop below reads them
    for d, key in zip(decisions, keys, strict=True):
        stored = d.item
        seen = stored.seen_at.timestamp()
        if d.is_new_story:
            new_rows.append((d.story_id, stored.item.title, stored.id, seen, seen))
            first_url[d.story_id] = stored.item.url
            first_outlet[d.story_id] = key
        else:
            joins.append((d.story_id, seen, key))
        links.append((d.story_id, stored.feed_name, d.headline_key, stored.id))
    for story_id, outlet in first_outlet.items():  # a story this poll creates had its first
        outlets_before[story_id] = {outlet}  # item's outlet
    # A story's last_seen is never below any of its items' (every write of it takes the MAX)
    # and outlets_before is every outlet it had (also those whose items retention has deleted
    # since): from this poll's items alone, without scanning every item of a story on each
    # poll that joins it.
    latest: dict[int, float] = {}
    carried: dict[int, set[str]] = {}
    for story_id, seen, outlet in joins:
        before = latest.get(story_id)
        if before is None:
            latest[story_id] = seen
            carried[story_id] = set(outlets_before.get(story_id, ()))
        elif seen > before:
            latest[story_id] = seen
        carried[story_id].add(outlet)
    grown = [(latest[story_id], len(carried[story_id]), story_id) for story_id in joined]
    if db.dialect == "postgresql":
        await _write_pg(db, new_rows, links, grown, outlets)
    else:
        await _write(db, new_rows, links, grown)
        await _OUTLETS.insert(db, outlets)
    for story_id, title, _, first_seen, last_seen in new_rows:
        heads[story_id] = (title, first_seen, last_seen, first_url[story_id])
    stories = after(joined, heads, latest)
    changes = []
    for d, key in zip(decisions, keys, strict=True):
        stored, story_id = d.item, d.story_id
        if d.is_new_story:
            # A later item of this batch may join it: it starts with this item's outlet.
            outlets_before.setdefault(story_id, set()).add(key)
            seen_at = stored.seen_at
            story = Story(story_id, stored.item.title, stored.item.url, seen_at, seen_at,
                          (stored.outlet,), (key,))  # fmt: skip
            changes.append(StoryChange(stored, story, True, True, d.headline))
        else:
            had = outlets_before.setdefault(story_id, set())
            gained = key not in had
            had.add(key)
            changes.append(StoryChange(stored, stories[story_id], False, gained, d.headline))
    return changes


# Each outlet's first item of each story, kept as the poll's items join (what fill_outlets
# and read_outlets read), not read from every item of the story at each poll.
_OUTLETS = outlet_rows("story_outlets", "story_id")


async def _write(
    db: Db,
    new_rows: list[tuple[int, str, int, float, float]],
    links: list[tuple[int, str, str, int]],
    grown: list[tuple[float, int, int]],
) -> None:
    if new_rows:
        await db.execute_many(
            "INSERT INTO stories (id, title, first_item_id, first_seen, last_seen, outlets)"
            " VALUES (?, ?, ?, ?, ?, 1)",
            new_rows,
        )
    await db.execute_many(
        "UPDATE items SET story_id = ?, feed_name = ?, headline_key = ? WHERE id = ?", links
    )
    await db.execute_many(
        "UPDATE stories SET last_seen = MAX(last_seen, ?), outlets = ? WHERE id = ?", grown
    )


# PostgreSQL: the poll's stories in one statement, each kind of change a column array. Its
# parts see the table as it was before the statement: a story this poll creates and another
# of its items joins is written once, as it ends up (``_write_pg``).
_WRITE_PG = (
    "WITH created AS (INSERT INTO stories (id, title, first_item_id, first_seen, last_seen,"
    " outlets) SELECT * FROM unnest(?::bigint[], ?::text[], ?::bigint[], ?::float8[],"
    " ?::float8[], ?::bigint[])),"
    " grown AS (UPDATE stories s SET last_seen = GREATEST(s.last_seen, u.seen),"
    " outlets = u.outlets FROM unnest(?::float8[], ?::bigint[], ?::bigint[]) AS u(seen, outlets,"
    " id) WHERE s.id = u.id),"
    " outlets AS (INSERT INTO story_outlets (story_id, feed_id, name, first_seen, item_id,"
    " site) SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::float8[], ?::bigint[],"
    " ?::text[]) ON CONFLICT DO NOTHING)"
    " UPDATE items i SET story_id = u.story, feed_name = u.name, headline_key = u.key"
    " FROM unnest(?::bigint[], ?::text[], ?::text[], ?::bigint[]) AS u(story, name, key, id)"
    " WHERE i.id = u.id"
)


async def _write_pg(
    db: Db,
    new_rows: list[tuple[int, str, int, float, float]],
    links: list[tuple[int, str, str, int]],
    grown: list[tuple[float, int, int]],
    firsts: list[OutletRow],
) -> None:
    later = {story_id: (seen, outlets) for seen, outlets, story_id in grown}
    created = []
    for story_id, title, first_item, first_seen, last_seen in new_rows:
        seen, outlets = later.pop(story_id, (last_seen, 1))
        created.append((story_id, title, first_item, first_seen, max(seen, last_seen), outlets))
    grown = [(seen, outlets, story_id) for story_id, (seen, outlets) in later.items()]
    await db.execute(
        _WRITE_PG,
        (*columns(created, 6), *columns(grown, 3), *columns(firsts, 6), *columns(links, 4)),
    )


async def rebuild_index(db: Db, index: StoryIndex, since: datetime) -> int:
    """Load the items first seen since ``since`` into the index; the number loaded.

    The window is by when an item was first seen, as in a running node: an old article a
    feed carried an hour ago is in it, with its publication time as the index's clock.

    A story's items come one after the other, in the order they were stored (by item id):
    that is how the index learns each story's first headline (the first item added, as in
    the running index: it decides what may join, ``reply.apart`` among it) and when it was
    last seen (see ``StoryIndex.load``). Nothing in the window needs its rows in time
    order: each row keeps its own time, and a story's last-seen time is the latest. The
    headlines are not parsed again where the store kept their key (``items.headline_key``);
    older rows are parsed as before.
    """
    prefix = KEY_PREFIX
    count = 0
    # About as many keys as will be loaded (from an index, at once): a table grown step by
    # step would re-insert a million keys over and over.
    total = await db.fetch_val(
        "SELECT COUNT(*) FROM items WHERE first_seen >= ?", (since.timestamp(),)
    )
    index.reserve(int(total or 0))
    # No column the index does not keep: the stored key without its prefix, the title only
    # where there is no current key (reading a million titles costs seconds), the GUID only
    # where it can name an article in another feed and is not the URL (``shared_guid``,
    # which the index applies again: this only spares it a million calls).
    async for rows in db.stream(
        "SELECT story_id, CASE WHEN substr(headline_key, 1, ?1) = ?2"
        " THEN substr(headline_key, ?1 + 1) END AS key,"
        " CASE WHEN substr(headline_key, 1, ?1) = ?2 THEN NULL ELSE title END,"
        " CASE WHEN substr(headline_key, 1, ?1) = ?2 THEN NULL ELSE summary END, seen,"
        " canonical_url, CASE WHEN (canonical_url IS NULL OR guid <> canonical_url)"
        "  AND (length(guid) >= ?4 OR instr(guid, '://') > 0"
        "  OR substr(guid, 1, 4) IN ('urn:', 'tag:')) THEN guid END"
        " FROM (SELECT story_id, id, headline_key, title, summary,"
        "  COALESCE(published, first_seen) AS seen,"
        "  canonical_url, guid FROM items WHERE story_id IS NOT NULL AND first_seen >= ?3)"
        " AS recent ORDER BY story_id, id",
        (len(prefix), prefix, since.timestamp(), MIN_SHARED_GUID),
        size=_BATCH,
    ):
        stories, keys, titles, summaries, seen, urls, guids = zip(*rows, strict=True)
        del rows  # the row tuples: a batch's worth of memory while it loads
        if None in keys:  # rows from before the column or from another parse version
            # parsed as story matching parses them (in the item's language: its summary read)
            keys = tuple(
                parse_in(title, headline_language(title, summary)).key() if key is None else key
                for key, title, summary in zip(keys, titles, summaries, strict=True)
            )
        count += index.load(stories, keys, seen, urls, guids)
    return count


async def list_stories(db: Db, since: datetime | None) -> list[dict[str, Any]]:
    """The stories (newest first) in ``monitor stories --json`` form."""
    cutoff = since.timestamp() if since else 0.0
    # A story's times are its items' publication times; an item received in the window
    # with an older date (a feed that publishes late) is in it too, as in test-rules --since.
    # ``first_seen`` and ``last_seen`` are when the monitor first and last saw one of its
    # items (as an event's are); ``published``, the earliest time its items give (None when
    # none gives one). Newest first by the time shown.
    stories = await db.fetch_all(
        "SELECT * FROM (SELECT id, title, COALESCE((SELECT MIN(i.first_seen) FROM items i"
        "  WHERE i.story_id = stories.id), first_seen) AS seen,"
        " COALESCE((SELECT MAX(i.first_seen) FROM items i WHERE i.story_id = stories.id),"
        "  last_seen) AS last, outlets, event_id"
        " FROM stories WHERE last_seen >= ?1"
        " OR id IN (SELECT story_id FROM items WHERE first_seen >= ?1)) AS listed"
        " ORDER BY seen DESC, id DESC",
        (cutoff,),
    )
    out = []
    for story_id, title, seen, last_seen, outlets, event_id in stories:
        items = await items_json(db, story_id)
        published = [i["published"] for i in items if i["published"]]
        out.append(
            {
                "id": story_id,
                "title": title,
                "first_seen": _dt(seen).isoformat(),
                "published": min(published, key=datetime.fromisoformat, default=None),
                "last_seen": _dt(last_seen).isoformat(),
                "outlets": outlets,
                "event": event_id,
                "items": items,
            }
        )
    return out


async def items_json(db: Db, story_id: int) -> list[dict[str, Any]]:
    """A story's items, first seen first, in the ``--json`` form of stories and events."""
    return [
        {
            "feed": feed,
            # The outlet an aggregator's item names (``<source>``), None for the feed's own.
            "source": source,
            # The outlet's web site (``Item.site``), by which outlets are told apart; None
            # where not known.
            "site": site,
            "title": item_title,
            "url": url,
            "published": _dt(published).isoformat() if published else None,
        }
        for feed, source, site, item_title, url, published in await db.fetch_all(
            "SELECT COALESCE(i.feed_name, f.title, f.url), i.source, i.site, i.title, i.url,"
            " i.published"
            " FROM items i JOIN feeds f ON f.id = i.feed_id WHERE i.story_id = ?"
            " ORDER BY i.first_seen, i.id",
            (story_id,),
        )
    ]
