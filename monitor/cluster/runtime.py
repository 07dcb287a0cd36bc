"""cluster.runtime: ``monitor run`` as one node of several over one PostgreSQL.

What changes from a single node: the scheduler is the shared lease table
(``LeasedScheduler``), a poll queues its new items instead of assigning them, one elected
node assigns (``Assigner``), and one elected node sends the outbox (the ``sender`` role): one
sender per monitor keeps every channel's rate limit, quiet hours and digests whole, as one
node has them; an alert sent and not yet marked when its sender dies is sent again by the
next (the documented one duplicate per crash). Telegram edits find their message whichever
node sent it: its id is in the store with the alert.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging

import asyncpg

from monitor.cluster.assigner import ROLE as ASSIGNER
from monitor.cluster.assigner import Assigner, queue_for_assigner
from monitor.cluster.dispatcher import LeasedScheduler
from monitor.cluster.election import Election, Term
from monitor.cluster.metrics import ClusterMetrics
from monitor.cluster.node import ClusterTiming, Node
from monitor.engine import Engine
from monitor.errors import MonitorError
from monitor.metrics import Metrics
from monitor.schedule import PollJob
from monitor.store import feeds as feed_store
from monitor.store.feeds import FeedState

log = logging.getLogger("monitor.cluster")

SENDER = "sender"
STATE_FIELDS = [f.name for f in dataclasses.fields(FeedState) if f.name not in ("id", "url")]


class ClusterNode:
    """This daemon's part in the cluster: started after the engine opens, stopped before it
    closes."""

    def __init__(self, engine: Engine, metrics: Metrics | None = None) -> None:
        self.engine = engine
        c = engine.config.cluster
        self.timing = ClusterTiming(
            lease=c.lease, heartbeat=c.heartbeat, election=c.election, batch=c.batch
        )
        self._metrics = ClusterMetrics(metrics.registry) if metrics is not None else None
        self.node: Node | None = None
        self.scheduler: LeasedScheduler | None = None
        self.assigner = Assigner(engine.rt, engine.deliverer.wake)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, poll: PollJob, max_polls: int) -> LeasedScheduler:
        pool = getattr(self.engine.store, "pool", None)
        if pool is None:
            raise TypeError("several nodes need a PostgreSQL store")
        self.node = Node(
            pool, self.timing, on_live_nodes=self.engine.share_hosts, metrics=self._metrics
        )
        await self.node.start()
        self.engine.rt.assign = queue_for_assigner
        self.scheduler = LeasedScheduler(self._fresh(poll), self.node, max_polls=max_polls)
        url = self.engine.config.monitor.database
        loop = asyncio.get_running_loop()
        for role, lead in ((ASSIGNER, self.assigner.lead), (SENDER, self._send)):
            election = Election(role, self.node, lambda: asyncpg.connect(url), lead)
            self._tasks.append(loop.create_task(election.run(), name=f"monitor-stand-{role}"))
        return self.scheduler

    def _fresh(self, poll: PollJob) -> PollJob:
        """Poll with the feed's state as the store has it: the last poll may have been
        another node's, and its validators, body hash and health are the ones to go on from."""
        rt = self.engine.rt

        async def fresh(url: str) -> float:
            state = rt.states.get(url)
            if state is not None:
                try:
                    newer = await feed_store.load_state(rt.store.db, url)
                except MonitorError as exc:  # poll on what this node knew
                    log.warning("cluster: cannot read the feed's state: %s", exc)
                    newer = None
                if newer is not None:
                    # In place: a poll in flight elsewhere in this process holds the object.
                    for name in STATE_FIELDS:
                        setattr(state, name, getattr(newer, name))
            return await poll(url)

        return fresh

    def leads(self, role: str) -> bool:
        return self.node is not None and role in self.node.roles

    async def refresh_states(self) -> None:
        """Every feed's state from the store, in place (other nodes polled most of them)."""
        rt = self.engine.rt
        for newer in await feed_store.all_feeds(rt.store.db):
            state = rt.states.get(newer.url)
            if state is not None:
                for name in STATE_FIELDS:
                    setattr(state, name, getattr(newer, name))

    async def _send(self, term: Term) -> None:
        self.engine.start_delivery()  # resumes whatever the outbox holds
        try:
            await asyncio.Event().wait()
        finally:
            await self.engine.stop_delivery()

    async def stop(self) -> None:
        """After the polls in flight ended: give up the roles, hand the feeds back, leave."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.scheduler is not None:
            await self.scheduler.flush()
        if self.node is not None:
            await self.node.stop()
