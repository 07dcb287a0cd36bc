"""cluster.election: one node at a time leads a role (the story assigner, a channel's sender).

The leader holds a session-level advisory lock on a connection of its own: PostgreSQL releases
it when that connection closes, and a killed node's connection closes with the process, so a
standby (trying every ``election`` seconds) takes over within seconds. Winning bumps the
role's epoch; the leader's writes check it in their own transaction (``Term.fence``), so a
leader that lost its lock without noticing (a frozen process, a cut connection) cannot commit
after its successor has started.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass

import asyncpg

from monitor.cluster.node import Node
from monitor.errors import MonitorError
from monitor.store import cluster as cluster_store

log = logging.getLogger("monitor.cluster")

Connect = Callable[[], Awaitable[asyncpg.Connection]]


class RoleLost(MonitorError):
    """Another node has been elected to this role: this node's term is over."""


@dataclass(frozen=True, slots=True)
class Term:
    """One node's term in a role: the fence its writes check."""

    role: str
    epoch: int
    node: int

    async def fence(self, conn: asyncpg.Connection) -> None:
        """Inside the transaction that writes as the role: raise ``RoleLost`` (rolling it back)
        if another node has been elected since this term began."""
        if not await cluster_store.still_holds(conn, self.role, self.epoch):
            raise RoleLost(f"no longer the {self.role} (another node was elected)")


Lead = Callable[[Term], Coroutine[object, object, None]]


class Election:
    """Stand for ``role`` until stopped; while elected, run ``lead`` (which runs until
    cancelled). Losing the lock's connection ends the term: ``lead`` is cancelled and the
    node stands again."""

    def __init__(self, role: str, node: Node, connect: Connect, lead: Lead) -> None:
        self.role = role
        self.node = node
        self._connect = connect
        self._lead = lead
        self.term: Term | None = None
        self.terms = 0  # how many times this node has been elected

    def __repr__(self) -> str:
        return f"<Election {self.role} node={self.node.id} term={self.term}>"

    async def run(self) -> None:
        """Until cancelled: stand, lead while elected, stand again when the term ends."""
        retry = self.node.timing.election
        while True:
            try:
                conn = await self._connect()
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("cluster: cannot stand for %s: %s", self.role, exc)
                await asyncio.sleep(retry)
                continue
            try:
                await self._stand(conn, retry)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError,
                    RoleLost) as exc:  # fmt: skip
                log.warning("cluster: the %s's term ended: %s", self.role, exc)
            except Exception:
                # A bug in the leader's work: stand again rather than leave the role empty.
                log.exception("cluster: the %s failed", self.role)
            finally:
                self._end_term()
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(5):
                        await conn.close()
            await asyncio.sleep(retry)

    async def _stand(self, conn: asyncpg.Connection, retry: float) -> None:
        while True:
            epoch = await cluster_store.take_role(conn, self.role, self.node.id)
            if epoch is not None:
                break
            await asyncio.sleep(retry)
        self.term = Term(self.role, epoch, self.node.id)
        self.terms += 1
        self.node.roles.add(self.role)
        if self.node.metrics is not None:
            self.node.metrics.terms.labels(self.role).inc()
        log.info("cluster: node %d is the %s (term %d)", self.node.id, self.role, epoch)
        loop = asyncio.get_running_loop()
        leading = loop.create_task(self._lead(self.term), name=f"monitor-{self.role}")
        try:
            while not leading.done():
                # The lock lives as long as this connection: check it is still there.
                done, _ = await asyncio.wait({leading}, timeout=retry)
                if not done:
                    # Bounded: across a network cut the answer may never come, and a node
                    # that cannot reach its lock must stop acting on it.
                    await conn.fetchval("SELECT 1", timeout=self.node.timing.lease)
            leading.result()  # a leader that ended on its own ends the term (and says why)
        finally:
            if not leading.done():
                leading.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await leading

    def _end_term(self) -> None:
        if self.term is not None:
            log.info("cluster: node %d is no longer the %s", self.node.id, self.role)
        self.term = None
        self.node.roles.discard(self.role)
