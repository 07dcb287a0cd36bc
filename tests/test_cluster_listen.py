"""The listener behind cross-node wake-ups (monitor/cluster/wake.py) against a real
PostgreSQL: a NOTIFY committed elsewhere wakes it, and a lost connection comes back on its own,
said once however many tries it takes."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg
import pytest

from monitor.cluster.wake import Listener


class Connections:
    """asyncpg.connect, failing ``refuse`` times when asked to (the database unreachable)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.opened: list[asyncpg.Connection] = []
        self.refuse = 0

    async def __call__(self) -> asyncpg.Connection:
        if self.refuse:
            self.refuse -= 1
            raise OSError("connection refused")
        conn = await asyncpg.connect(self.url)
        self.opened.append(conn)
        return conn


async def _woken(event: asyncio.Event) -> None:
    await asyncio.wait_for(event.wait(), 10)
    event.clear()


async def test_wakes_on_notify_and_comes_back_after_a_lost_connection(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    woken = asyncio.Event()
    connections = Connections(pg_url)
    listener = Listener(connections, {"monitor_test": woken.set}, retry=0.05)
    task = asyncio.create_task(listener.run())
    admin = await asyncpg.connect(pg_url)
    try:
        await asyncio.wait_for(listener.connected.wait(), 10)
        await _woken(woken)  # the look it takes on (re)connecting
        async with admin.transaction():
            await admin.execute("SELECT pg_notify('monitor_test', '')")
            await asyncio.sleep(0.3)
            assert not woken.is_set()  # not before the commit
        await _woken(woken)

        caplog.set_level(logging.INFO, logger="monitor.cluster")
        connections.refuse = 3
        await admin.execute(
            "SELECT pg_terminate_backend($1)", connections.opened[0].get_server_pid()
        )
        for _ in range(400):
            if len(connections.opened) == 2 and listener.connected.is_set():
                break
            await asyncio.sleep(0.025)
        assert len(connections.opened) == 2 and listener.connected.is_set()
        await _woken(woken)
        await admin.execute("SELECT pg_notify('monitor_test', '')")
        await _woken(woken)
        warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1, [r.getMessage() for r in warnings]
        assert "again" in caplog.records[-1].getMessage()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await admin.close()
        for conn in connections.opened:
            await conn.close()
