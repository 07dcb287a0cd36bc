"""Items in the store: unique per feed by stable key; only new ones go on down the pipeline."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime
from functools import partial

from monitor.models import Item
from monitor.schedule import Publishing
from monitor.store.batch import in_lists
from monitor.store.db import Db


def to_ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


async def insert_new(
    db: Db, feed_id: int, items: Sequence[Item], untimed: AbstractSet[str] = frozenset()
) -> list[tuple[int, Item]]:
    """Insert the items this feed has never had; return them with their new ids. The items
    keyed in ``untimed`` are marked so (``StoredItem.untimed``).

    Runs inside the caller's transaction, in the poll's order: one statement (128 items at a
    time on SQLite) skips the keys the feed has, numbers the rest and says which
    it stored, where asking for the known keys first would be a trip more.
    """
    unique = list({item.key: item for item in items}.values())
    if not unique:
        return []
    ids: dict[str, int] = {}
    if db.dialect == "postgresql":
        columns = (
            [i.key for i in unique],
            [i.guid for i in unique],
            [i.url for i in unique],
            [i.canonical_url for i in unique],
            [i.title for i in unique],
            [i.summary for i in unique],
            [to_ts(i.published) for i in unique],
            [i.first_seen.timestamp() for i in unique],
        )
        untimed_column = [int(i.key in untimed) for i in unique]
        args = (feed_id, *columns, untimed_column, [i.source or None for i in unique],
                [i.site or None for i in unique])  # fmt: skip
        for item_id, key in await db.fetch_all(_INSERT_ARRAYS, args):
            ids[key] = int(item_id)
    else:
        for start in range(0, len(unique), _ROWS):
            part = unique[start : start + _ROWS]
            # Numbered here (``reserve_ids``: no trip, this writer's ids) rather than with
            # RETURNING, which keeps the rows in a temporary table first (a fifth of the
            # insert). Padded to a power of two with copies of the last row (each a no-op:
            # its key is taken), so that a few statement texts serve every size (see
            # batch.in_lists).
            first = (await db.reserve_ids("items", len(part)))[0]
            size = 1 << (len(part) - 1).bit_length()
            params: list[object] = []
            for n, i in enumerate(part):
                params += _values(first + n, feed_id, i, i.key in untimed)
            params += params[-13:] * (size - len(part))
            stored = await db.together(partial(_insert_part, size, params, first, len(part)))
            if stored is None:
                ids.update((i.key, first + n) for n, i in enumerate(part))
            else:
                ids.update(stored)
    return [(ids[i.key], i) for i in unique if i.key in ids]


async def _insert_part(
    size: int, params: list[object], first: int, count: int, db: Db
) -> dict[str, int] | None:
    """SQLite: ``count`` rows (padded to ``size``) numbered from ``first`` in one statement;
    None when it stored each of them, else the ids of those it stored (not the keys the feed
    has), by key, read back."""
    if await db.execute(_insert_values(size), params) == count:
        return None
    rows = await db.fetch_all(_STORED, (first, first + count - 1))
    return {str(key): int(item_id) for item_id, key in rows}


_ROWS = 128  # rows per statement on SQLite: 1,664 parameters, far below its limit
# source: the outlet an aggregator names (``Item.source``), NULL for none (the feed's name);
# site: the outlet's web site (``Item.site``), NULL where not known.
_COLUMNS = (
    "feed_id, key, guid, url, canonical_url, title, summary, published, first_seen, untimed,"
    " source, site"
)
# The rows a SQLite statement stored of the ids it was given (ids only this writer hands out).
_STORED = "SELECT id, key FROM items WHERE id >= ? AND id <= ?"


def _values(item_id: int, feed_id: int, i: Item, untimed: bool) -> tuple[object, ...]:
    return (item_id, feed_id, i.key, i.guid, i.url, i.canonical_url, i.title, i.summary,
            to_ts(i.published), i.first_seen.timestamp(), int(untimed),
            i.source or None, i.site or None)  # fmt: skip


@functools.lru_cache(maxsize=16)
def _insert_values(rows: int) -> str:
    # A key the feed has is skipped; an id taken (another writer's: there is none) is an error.
    marks = ", ".join(["(" + ", ".join("?" * 13) + ")"] * rows)
    return (
        f"INSERT INTO items (id, {_COLUMNS}) VALUES {marks} ON CONFLICT (feed_id, key) DO NOTHING"
    )


# PostgreSQL takes the whole poll as arrays, skips the keys the feed has and numbers the rest
# from the items' sequence: one round trip.
_INSERT_ARRAYS = (
    f"INSERT INTO items ({_COLUMNS})"
    " SELECT ?, * FROM unnest(?::text[], ?::text[], ?::text[], ?::text[],"
    " ?::text[], ?::text[], ?::float8[], ?::float8[], ?::int[], ?::text[], ?::text[])"
    " ON CONFLICT (feed_id, key) DO NOTHING"
    " RETURNING id, key"
)


async def known_keys(db: Db, feed_id: int, keys: list[str]) -> set[str]:
    """The keys of ``keys`` this feed already has, in one query per 500 keys."""
    known: set[str] = set()
    for marks, params in in_lists(keys):
        for (key,) in await db.fetch_all(
            f"SELECT key FROM items WHERE feed_id = ? AND key IN ({marks})", (feed_id, *params)
        ):
            known.add(key)
    return known


async def listed(
    db: Db, feed_id: int, keys: list[str], now: float, since: float
) -> dict[str, float]:
    """When the feed last listed its items of ``keys`` (UNIX seconds; when first seen, if no
    body has listed one since), by key; a key the feed does not have is not named. Those
    last listed before ``since`` are listed ``now``: one UPDATE, of the few that are, so
    that a changed poll does not rewrite every row it lists."""
    found: dict[str, float] = {}
    for marks, params in in_lists(keys):
        for key, at in await db.fetch_all(
            "SELECT key, COALESCE(last_listed, first_seen) FROM items"
            f" WHERE feed_id = ? AND key IN ({marks})",
            (feed_id, *params),
        ):
            found[key] = float(at)
    stale = [key for key, at in found.items() if at < since]
    for marks, params in in_lists(stale):
        await db.execute(
            f"UPDATE items SET last_listed = ? WHERE feed_id = ? AND key IN ({marks})",
            (now, feed_id, *params),
        )
    found.update(dict.fromkeys(stale, now))
    return found


async def publishing_since(db: Db, feed_id: int, since: float) -> Publishing | None:
    """How many of the feed's items are dated since ``since``, and the oldest of them; None
    when none is (its interval then stays fixed until a parse says more)."""
    rows = await db.fetch_all(
        "SELECT COUNT(*), MIN(published) FROM items WHERE feed_id = ? AND published >= ?",
        (feed_id, since),
    )
    count, oldest = next(iter(rows), (0, None))
    return Publishing(int(count), float(oldest)) if count and oldest is not None else None


async def since_with_feed(db: Db, since: float) -> list[tuple[str, str, str, str, str | None]]:
    """Items first seen since ``since``, oldest first: title, summary, url, feed url, feed
    title."""
    rows = await db.fetch_all(
        "SELECT i.title, i.summary, i.url, f.url, f.title FROM items i JOIN feeds f"
        " ON f.id = i.feed_id WHERE i.first_seen >= ? ORDER BY i.first_seen",
        (since,),
    )
    return [tuple(r) for r in rows]


async def first_seen_between(db: Db, feed_id: int, start: float, end: float) -> list[float]:
    """When the feed's items first seen from ``start`` to ``end`` were (UNIX seconds)."""
    rows = await db.fetch_all(
        "SELECT first_seen FROM items WHERE feed_id = ? AND first_seen BETWEEN ? AND ?",
        (feed_id, start, end),
    )
    return [float(r[0]) for r in rows]


# An item's outlet by name (``StoredItem.outlet``): an aggregator's ``<source>``, else the
# feed's name as stored with the item, else (an item stored before m005) the feed's title.
OUTLET = "COALESCE(i.source, i.feed_name, f.title, f.url)"
# The number of distinct outlets among items ``i`` by identity (``StoredItem.outlet_key``):
# each site by its domain, else each <source> by its name, else each feed's own by the feed,
# whatever it was called (a renamed feed is one: review20d D1).
COUNT_OUTLETS = (
    "COUNT(DISTINCT i.site) + COUNT(DISTINCT CASE WHEN i.site IS NULL THEN i.source END)"
    " + COUNT(DISTINCT CASE WHEN i.site IS NULL AND i.source IS NULL THEN i.feed_id END)"
)


async def story_outlets_since(db: Db, story_id: int, since: float) -> tuple[int, int]:
    """Distinct outlets (by identity), and items, of a story first seen since ``since``."""
    rows = await db.fetch_all(
        f"SELECT {COUNT_OUTLETS}, COUNT(*) FROM items i WHERE i.story_id = ? AND i.first_seen >= ?",
        (story_id, since),
    )
    feeds, items = next(iter(rows), (0, 0))
    return int(feeds), int(items)


async def event_outlets_since(db: Db, event_id: int, since: float) -> int:
    """Distinct outlets (by identity) with an item of the event first seen since ``since``."""
    rows = await db.fetch_all(
        f"SELECT {COUNT_OUTLETS} FROM items i JOIN stories s ON s.id = i.story_id"
        " WHERE s.event_id = ? AND i.first_seen >= ?",
        (event_id, since),
    )
    return int(next(iter(rows), (0,))[0])
