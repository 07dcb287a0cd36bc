"""Retention: items, stories and delivered alerts older than ``[monitor] retention`` are pruned.

Deletes run in small batches, each its own short transaction, so polls waiting for the
store are never held up for long and the database does not grow without bound.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from monitor.store import Store

log = logging.getLogger("monitor.retention")
BATCH = 2000


@dataclass(slots=True)
class Pruned:
    items: int = 0
    stories: int = 0
    events: int = 0
    alerts: int = 0


async def prune(store: Store, cutoff: float, batch: int = BATCH) -> Pruned:
    """Delete what is older than ``cutoff`` (UNIX seconds)."""
    pruned = Pruned()
    statements = [
        (
            "items",
            "DELETE FROM items WHERE id IN (SELECT id FROM items WHERE first_seen < ? LIMIT ?)",
        ),
        (
            "stories",
            "DELETE FROM stories WHERE id IN (SELECT s.id FROM stories s WHERE s.last_seen < ?"
            " AND NOT EXISTS (SELECT 1 FROM items i WHERE i.story_id = s.id) LIMIT ?)",
        ),
        (
            "events",
            "DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.last_seen < ?"
            " AND NOT EXISTS (SELECT 1 FROM stories s WHERE s.event_id = e.id) LIMIT ?)",
        ),
        (
            "alerts",
            "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE created_at < ?"
            " AND status != 'pending' LIMIT ?)",
        ),
    ]
    for name, sql in statements:
        while True:
            async with store.transaction() as db:
                cur = await db.execute(sql, (cutoff, batch))
                count = cur.rowcount
                await cur.close()
            setattr(pruned, name, getattr(pruned, name) + count)
            if count < batch:
                break
            await asyncio.sleep(0)  # let waiting polls have the store between batches
    if pruned.items or pruned.stories or pruned.alerts:
        log.info(
            "pruned %d items, %d stories and %d delivered alerts",
            pruned.items,
            pruned.stories,
            pruned.alerts,
        )
    return pruned
