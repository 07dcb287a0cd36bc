"""cluster.assigner: the one node that decides stories, events, matches and alerts.

Every node fetches, parses and stores; only the elected assigner runs the stages after store,
on the items the polls queued (``store.cluster_queue``), in id order, one batch per
transaction. Why one assigner rather than assignment in each poll: a story decision needs the
whole window (every headline of the last ``[dedup] window``) in memory, and two nodes each
deciding from their own copy would put two copies of one wire story into two stories when
they arrive at once. One decider sees every item, in order, and its in-memory window is
rebuilt from the store when it takes the role (``Stages.invalidate``), so a new assigner
starts from exactly what its predecessor committed. Each batch's transaction checks the
term's fence first: an assigner that lost the role cannot commit a decision after its
successor has started.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from monitor.cluster.election import RoleLost, Term
from monitor.errors import MonitorError
from monitor.models import StoredItem
from monitor.newitems import run_stages
from monitor.pipeline import Runtime
from monitor.queued import as_stored
from monitor.store import cluster_queue
from monitor.store.db import Db
from monitor.waits import wait_event

log = logging.getLogger("monitor.cluster")

ROLE = "assigner"
BATCH = 500  # queued items per transaction
IDLE = 1.0  # seconds between looks at an empty queue (a NOTIFY wakes it sooner: ``wake``)


async def queue_for_assigner(db: Db, items: Sequence[StoredItem], now: float) -> None:
    """``Runtime.assign`` on every node: the poll's new items wait for the assigner."""
    await cluster_queue.enqueue(db, items)


class Assigner:
    """Runs while this node is the assigner (``lead``); ``wake`` tells the sender."""

    def __init__(self, rt: Runtime, wake: Callable[[], None]) -> None:
        self.rt = rt
        self._wake = wake
        self._queued = asyncio.Event()  # another node queued items (``nudge``)
        self.assigned = 0

    def nudge(self) -> None:
        """Items were queued (a NOTIFY from whichever node polled): look now."""
        self._queued.set()

    async def lead(self, term: Term) -> None:
        # The window in memory may predate what other nodes committed while this one was not
        # the assigner: rebuild it from the store before the first decision.
        self.rt.stages.invalidate(failed=False)
        while True:
            self._queued.clear()  # before the round: a NOTIFY during it means look again
            try:
                count = await self._round(term)
            except RoleLost:
                raise
            except MonitorError as exc:
                self.rt.stages.invalidate()  # the rollback undid decisions the window holds
                log.error("cluster: assigning failed, trying again: %s", exc)
                count = 0
            if count:
                self.assigned += count
                self._wake()
            else:
                await wait_event(self._queued, IDLE)

    async def _round(self, term: Term) -> int:
        rt = self.rt
        async with rt.store.transaction() as db:
            if not await cluster_queue.still_holds(db, term.role, term.epoch):
                raise RoleLost(f"no longer the {term.role} (another node was elected)")
            queued = await cluster_queue.take(db, BATCH)
            if not queued:
                return 0
            items = as_stored(queued, rt.config.feeds)
            await run_stages(rt.stages.process, db, items, rt.clock())
            await cluster_queue.done(db, [i.id for i in items])
            # The sender may be another node: it wakes when this batch's alerts are committed.
            await cluster_queue.notify(db, cluster_queue.ALERTS)
        return len(items)
