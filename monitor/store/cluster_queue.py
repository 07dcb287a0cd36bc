"""store.cluster_queue: the items the nodes' polls stored, waiting for the story assigner.

A poll on any node stores its new items and queues them in the same transaction; the one
elected assigner (``cluster.assigner``) takes them in id order, runs stories -> events ->
matches -> alerts on them and deletes them from the queue, all in one transaction fenced by
its term. An item is therefore assigned once: by the only node that may commit assignments,
and taken off the queue in the transaction that assigns it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from monitor.models import Item, StoredItem
from monitor.store.db import Db

# NOTIFY channels: sent inside the transaction that makes the work, so a listener wakes only
# once that work is committed and visible (a rolled-back transaction notifies no one).
ITEMS = "monitor_assign_queue"  # new items queued for the assigner
ALERTS = "monitor_outbox"  # the assigner committed a batch that may have queued alerts

# The queue as ``store.cluster`` makes it, for a copy that brings queued items to a new
# database (``store.copy``): on SQLite too, where they are filed at open (``monitor.queued``).
TABLE = "assign_queue"
# item_id: an item stored by a poll, not yet in a story; feed_url: as configured (its name,
# tags and rules' scope).
CREATE = (
    "CREATE TABLE IF NOT EXISTS assign_queue (item_id BIGINT PRIMARY KEY, feed_url TEXT NOT NULL)"
)


def _time(ts: float | None) -> datetime | None:
    return datetime.fromtimestamp(ts, UTC) if ts is not None else None


@dataclass(frozen=True, slots=True)
class Queued:
    """A queued item with what the assigner needs to name its feed."""

    stored: StoredItem
    feed_title: str | None


async def enqueue(db: Db, items: Sequence[StoredItem]) -> None:
    """In the poll's transaction: these new items wait for the assigner."""
    await db.execute_many(
        "INSERT INTO assign_queue (item_id, feed_url) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [(s.id, s.feed_url) for s in items],
    )
    if items:
        await notify(db, ITEMS)


async def notify(db: Db, channel: str) -> None:
    """Wake the listeners of ``channel`` when the current transaction commits."""
    await db.fetch_val("SELECT pg_notify(?, '')", (channel,))


async def take(db: Db, limit: int) -> list[Queued]:
    """The oldest queued items (by id), at most ``limit``; they stay queued until ``done``."""
    rows = await db.fetch_all(
        "SELECT q.item_id, q.feed_url, i.feed_id, f.title, i.key, i.title, i.summary, i.url,"
        " i.canonical_url, i.guid, i.published, i.first_seen, i.untimed, i.source, i.site"
        " FROM assign_queue q JOIN items i ON i.id = q.item_id JOIN feeds f ON f.id = i.feed_id"
        " ORDER BY q.item_id LIMIT ?",
        (limit,),
    )
    out = []
    for r in rows:
        item = Item(
            key=r[4], title=r[5], summary=r[6], url=r[7], canonical_url=r[8], guid=r[9],
            published=_time(r[10]), first_seen=datetime.fromtimestamp(r[11], UTC),
            source=r[13] or "", site=r[14] or "",  # the item's outlet: credited as live
        )  # fmt: skip
        stored = StoredItem(
            id=r[0], feed_id=r[2], feed_name="", feed_tags=(), item=item, feed_url=r[1],
            untimed=bool(r[12]),
        )  # fmt: skip
        out.append(Queued(stored, r[3]))
    return out


async def done(db: Db, item_ids: Sequence[int]) -> None:
    await db.execute_many("DELETE FROM assign_queue WHERE item_id = ?", [(i,) for i in item_ids])


async def drop_orphans(db: Db) -> int:
    """Queued items that retention deleted before they were assigned."""
    return await db.execute(
        "DELETE FROM assign_queue q WHERE NOT EXISTS (SELECT 1 FROM items i WHERE i.id = q.item_id)"
    )


async def copied_to_sqlite(db: Db) -> bool:
    """Whether a SQLite store holds a queue a copy brought (``monitor.queued`` files it)."""
    found = await db.fetch_val(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
    )
    return found is not None


async def drop(db: Db) -> None:
    """The copied queue, filed: what is left is no item's (deleted before the copy)."""
    await db.execute(f"DROP TABLE {TABLE}")


async def depth(db: Db) -> int:
    value = await db.fetch_val("SELECT count(*) FROM assign_queue")
    return int(value or 0)


async def still_holds(db: Db, role: str, epoch: int) -> bool:
    """``cluster.still_holds`` inside a store transaction (the fence of the assigner's writes)."""
    current = await db.fetch_val(
        "SELECT epoch FROM cluster_roles WHERE role = ? FOR UPDATE", (role,)
    )
    return bool(current == epoch)
