"""cluster.wake: a node wakes at once when another node commits work for it.

The assigner and the sender may be different nodes; without a signal across them the sender
would notice a new alert only at its idle check (seconds later). Each node keeps one
connection of its own that LISTENs on the store's channels (``store.cluster_queue``); the
writers NOTIFY inside the transaction that makes the work, so a wake-up always finds the work
committed. The idle checks stay as the safety net: a lost listener connection costs latency,
never work, and is reconnected (said once per loss, not once per try).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping

import asyncpg

from monitor.waits import wait_event

log = logging.getLogger("monitor.cluster")

Connect = Callable[[], Awaitable[asyncpg.Connection]]

RETRY = 2.0  # seconds between tries to get a lost listener connection back
CHECK = 5.0  # seconds between checks that the listener connection is still there


class Listener:
    """Until cancelled (``run``): call ``wakes[channel]()`` on each NOTIFY of ``channel``."""

    def __init__(
        self, connect: Connect, wakes: Mapping[str, Callable[[], None]], *, retry: float = RETRY
    ) -> None:
        self._connect = connect
        self._wakes = dict(wakes)
        self._retry = retry
        self.connected = asyncio.Event()  # listening now (tests wait for it)

    def _on_notify(self, conn: asyncpg.Connection, pid: int, channel: str, payload: object) -> None:
        wake = self._wakes.get(channel)
        if wake is not None:
            wake()

    async def run(self) -> None:
        lost = False  # said already: quiet until it is back
        while True:
            conn: asyncpg.Connection | None = None
            try:
                conn = await self._connect()
                for channel in self._wakes:
                    await conn.add_listener(channel, self._on_notify)
                if lost:
                    log.info("cluster: listening for other nodes' work again")
                    lost = False
                closed = asyncio.Event()
                conn.add_termination_listener(lambda _, closed=closed: closed.set())
                self.connected.set()
                # Work may have been committed while no one listened: look once now.
                for wake in self._wakes.values():
                    wake()
                while True:
                    await wait_event(closed, CHECK)
                    if closed.is_set():
                        raise ConnectionError("the connection closed")
                    # A cut network closes nothing: ask, bounded.
                    await conn.fetchval("SELECT 1", timeout=CHECK)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                self.connected.clear()
                if not lost:
                    log.warning(
                        "cluster: not listening for other nodes' work (idle checks go on): %s",
                        exc,
                    )
                    lost = True
            finally:
                if conn is not None:
                    with contextlib.suppress(Exception):
                        async with asyncio.timeout(5):
                            await conn.close()
            await asyncio.sleep(self._retry)
