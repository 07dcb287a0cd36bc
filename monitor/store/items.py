"""Items in the store: unique per feed by stable key; only new ones go on down the pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import aiosqlite

from monitor.models import Item
from monitor.schedule import Publishing
from monitor.store.batch import in_lists


def to_ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


async def insert_new(
    db: aiosqlite.Connection, feed_id: int, items: Sequence[Item]
) -> list[tuple[int, Item]]:
    """Insert the items this feed has never had; return them with their new ids.

    Runs inside the caller's transaction, which holds the database's write lock: the new
    rows are numbered here, after the largest id, so two trips to the database thread do it
    all (which keys are known, then one ``executemany``), not a third to read the ids back.
    """
    unique = list({item.key: item for item in items}.values())
    if not unique:
        return []
    known, last_id = await _known(db, feed_id, [i.key for i in unique])
    fresh = [i for i in unique if i.key not in known]
    if not fresh:
        return []
    rows = [
        (
            item_id,
            feed_id,
            i.key,
            i.guid,
            i.url,
            i.canonical_url,
            i.title,
            i.summary,
            to_ts(i.published),
            i.first_seen.timestamp(),
        )
        for item_id, i in enumerate(fresh, last_id + 1)
    ]
    await db.executemany(
        "INSERT INTO items (id, feed_id, key, guid, url, canonical_url, title, summary,"
        " published, first_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return [(row[0], i) for row, i in zip(rows, fresh, strict=True)]


async def known_keys(db: aiosqlite.Connection, feed_id: int, keys: list[str]) -> set[str]:
    """The keys of ``keys`` this feed already has."""
    known, _ = await _known(db, feed_id, keys)
    return known


async def publishing_since(
    db: aiosqlite.Connection, feed_id: int, since: float
) -> Publishing | None:
    """How many of the feed's items are dated since ``since``, and the oldest of them; None
    when none is (its interval then stays fixed until a parse says more)."""
    rows = await db.execute_fetchall(
        "SELECT COUNT(*), MIN(published) FROM items WHERE feed_id = ? AND published >= ?",
        (feed_id, since),
    )
    count, oldest = next(iter(rows), (0, None))
    return Publishing(int(count), float(oldest)) if count and oldest is not None else None


async def _known(db: aiosqlite.Connection, feed_id: int, keys: list[str]) -> tuple[set[str], int]:
    """The keys this feed already has, and the largest item id, in one query per 500 keys."""
    known: set[str] = set()
    last_id = 0
    for marks, params in in_lists(keys):
        for key, top in await db.execute_fetchall(
            "SELECT NULL, MAX(id) FROM items UNION ALL"
            f" SELECT key, NULL FROM items WHERE feed_id = ? AND key IN ({marks})",
            (feed_id, *params),
        ):
            if key is None:
                last_id = max(last_id, top or 0)
            else:
                known.add(key)
    return known, last_id


async def since_with_feed(
    db: aiosqlite.Connection, since: float
) -> list[tuple[str, str, str, str, str | None]]:
    """Items first seen since ``since``, oldest first: title, summary, url, feed url, feed
    title."""
    rows = await db.execute_fetchall(
        "SELECT i.title, i.summary, i.url, f.url, f.title FROM items i JOIN feeds f"
        " ON f.id = i.feed_id WHERE i.first_seen >= ? ORDER BY i.first_seen",
        (since,),
    )
    return [tuple(r) for r in rows]


async def recent_first_seen(db: aiosqlite.Connection, feed_id: int, limit: int) -> list[float]:
    """When the feed's ``limit`` newest items were first seen (UNIX seconds), newest first."""
    rows = await db.execute_fetchall(
        "SELECT first_seen FROM items WHERE feed_id = ? ORDER BY first_seen DESC LIMIT ?",
        (feed_id, limit),
    )
    return [float(r[0]) for r in rows]


async def story_outlets_since(
    db: aiosqlite.Connection, story_id: int, since: float
) -> tuple[int, int]:
    """Distinct feeds, and items, of a story first seen since ``since``."""
    rows = await db.execute_fetchall(
        "SELECT COUNT(DISTINCT feed_id), COUNT(*) FROM items"
        " WHERE story_id = ? AND first_seen >= ?",
        (story_id, since),
    )
    feeds, items = next(iter(rows), (0, 0))
    return int(feeds), int(items)


async def event_outlets_since(db: aiosqlite.Connection, event_id: int, since: float) -> int:
    """Distinct feeds with an item of the event first seen since ``since``."""
    rows = await db.execute_fetchall(
        "SELECT COUNT(DISTINCT i.feed_id) FROM items i JOIN stories s ON s.id = i.story_id"
        " WHERE s.event_id = ? AND i.first_seen >= ?",
        (event_id, since),
    )
    return int(next(iter(rows), (0,))[0])
