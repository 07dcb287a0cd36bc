"""Retention: items, stories and delivered alerts older than ``[monitor] retention`` are pruned,
and what pending alerts showed of a story's growth once none shows it (``store.growth.sweep``).

Deletes run in small batches, each its own short transaction, so polls waiting for the
store are never held up for long and the database does not grow without bound.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from monitor.store import Store, expiry, feeds, growth

log = logging.getLogger("monitor.retention")
BATCH = 2000


@dataclass(slots=True)
class Pruned:
    items: int = 0
    stories: int = 0
    events: int = 0
    alerts: int = 0
    growth: int = 0  # alert_growth rows no alert pointed at any more


async def prune(
    store: Store, cutoff: float, batch: int = BATCH, configured: Iterable[str] | None = None
) -> Pruned:
    """Delete what is older than ``cutoff`` (UNIX seconds); with ``configured`` (the
    config's feed URLs), first forget what other feeds' last bodies listed."""
    pruned = Pruned()
    if configured is not None:
        async with store.transaction() as db:
            await feeds.forget_listed(db, configured)
    for name in expiry.PRUNED:
        while True:
            async with store.transaction() as db:
                count = await expiry.delete_older(db, name, cutoff, batch)
            setattr(pruned, name, getattr(pruned, name) + count)
            if count < batch:
                break
            await asyncio.sleep(0)  # let waiting polls have the store between batches
    while True:
        async with store.transaction() as db:
            count = await growth.sweep(db, batch)
        pruned.growth += count
        if count < batch:
            break
        await asyncio.sleep(0)
    if pruned.items or pruned.stories or pruned.alerts:
        log.info(
            "pruned %d items, %d stories and %d delivered alerts",
            pruned.items,
            pruned.stories,
            pruned.alerts,
        )
    if pruned.growth:
        log.info("removed %d story and event growth rows no pending alert showed", pruned.growth)
    return pruned
