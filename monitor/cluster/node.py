"""cluster.node: this process as one node of a monitor shared over PostgreSQL.

A node registers itself, then beats every ``heartbeat`` seconds: the beat says it is alive,
which roles it leads, and extends the leases of the feeds it is polling. A node that stops
beating (killed, frozen, cut off) is dead after ``lease`` seconds and its feeds go to the
others. Each beat also counts the live nodes, which is how the per-host fetch limit is shared
(``Engine.share_hosts``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from monitor.cluster.metrics import ClusterMetrics
from monitor.store import cluster as cluster_store

log = logging.getLogger("monitor.cluster")


@dataclass(frozen=True, slots=True)
class ClusterTiming:
    """Seconds: how long a lease runs without a beat, how often a node beats, how often a
    standby tries to take a free role."""

    lease: float = 30.0
    heartbeat: float = 5.0
    election: float = 2.0
    batch: int = 50  # feeds taken per query


class Node:
    """Registration and heartbeat of this process; ``roles`` is what ``monitor status`` shows."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        timing: ClusterTiming,
        *,
        on_live_nodes: Callable[[int], None] | None = None,
        metrics: ClusterMetrics | None = None,
    ) -> None:
        self.pool = pool
        self.timing = timing
        self.id = 0
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.roles: set[str] = set()
        self.live_nodes = 1
        self._on_live_nodes = on_live_nodes
        self.metrics = metrics
        self._beat: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"<Node {self.id} {self.host}:{self.pid}>"

    @property
    def role(self) -> str:
        return ", ".join(sorted(self.roles)) or "poller"

    async def start(self) -> None:
        async with self.pool.acquire() as conn:
            await cluster_store.ensure_schema(conn)
            self.id = await cluster_store.register(conn, self.host, self.pid)
        await self.beat()
        self._beat = asyncio.get_running_loop().create_task(self._beating(), name="monitor-beat")
        log.info("node %d (%s, pid %d) joined: %d nodes alive",
                 self.id, self.host, self.pid, self.live_nodes)  # fmt: skip

    async def beat(self) -> None:
        async with self.pool.acquire() as conn:
            live = await cluster_store.heartbeat(conn, self.id, self.role, self.timing.lease)
        if self.metrics is not None:
            self.metrics.describe(self.id, self.host, self.pid, self.role)
            self.metrics.live_nodes.set(live)
        if live != self.live_nodes:
            self.live_nodes = live
            if self._on_live_nodes is not None:
                self._on_live_nodes(live)

    async def _beating(self) -> None:
        while True:
            await asyncio.sleep(self.timing.heartbeat)
            try:
                await self.beat()
            except (OSError, asyncpg.PostgresError) as exc:
                # Missed beats cost this node its leases after `lease`; keep trying meanwhile.
                log.warning("cluster heartbeat failed: %s", exc)

    async def stop(self) -> None:
        """Leave cleanly: the feeds this node held are free for the others at once."""
        if self._beat is not None:
            self._beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._beat
        if self.id:
            try:
                async with self.pool.acquire() as conn:
                    await cluster_store.deregister(conn, self.id)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("could not deregister node %d (its leases run out): %s", self.id, exc)
