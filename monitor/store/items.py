"""Items in the store: unique per feed by stable key; only new ones go on down the pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import aiosqlite

from monitor.models import Item

# SQLite's default limit on host parameters is 32766; stay well below it per statement.
_CHUNK = 500


def to_ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def from_ts(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value is not None else None


async def insert_new(
    db: aiosqlite.Connection, feed_id: int, items: Sequence[Item]
) -> list[tuple[int, Item]]:
    """Insert the items this feed has never had; return them with their new ids.

    Runs inside the caller's transaction: one ``executemany`` for the whole poll.
    """
    unique = list({item.key: item for item in items}.values())
    if not unique:
        return []
    known: set[str] = set()
    for start in range(0, len(unique), _CHUNK):
        chunk = [i.key for i in unique[start : start + _CHUNK]]
        marks = ",".join("?" * len(chunk))
        async with db.execute(
            f"SELECT key FROM items WHERE feed_id = ? AND key IN ({marks})", (feed_id, *chunk)
        ) as cur:
            known.update(row[0] for row in await cur.fetchall())
    fresh = [i for i in unique if i.key not in known]
    if not fresh:
        return []
    await db.executemany(
        "INSERT INTO items (feed_id, key, guid, url, canonical_url, title, summary, published,"
        " first_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
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
            for i in fresh
        ],
    )
    ids: dict[str, int] = {}
    for start in range(0, len(fresh), _CHUNK):
        chunk = [i.key for i in fresh[start : start + _CHUNK]]
        marks = ",".join("?" * len(chunk))
        async with db.execute(
            f"SELECT id, key FROM items WHERE feed_id = ? AND key IN ({marks})", (feed_id, *chunk)
        ) as cur:
            ids.update({row[1]: row[0] for row in await cur.fetchall()})
    return [(ids[i.key], i) for i in fresh]


def row_to_item(row: aiosqlite.Row) -> Item:
    """An ``Item`` from a row of ``items`` (all columns selected by name)."""
    first_seen = from_ts(row["first_seen"])
    assert first_seen is not None
    return Item(
        key=row["key"],
        title=row["title"],
        summary=row["summary"],
        url=row["url"],
        canonical_url=row["canonical_url"],
        guid=row["guid"],
        published=from_ts(row["published"]),
        first_seen=first_seen,
    )
