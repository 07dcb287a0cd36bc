"""The store vanishes under a running daemon: /healthz says so, the watchdog stops, the log
says what happened. Deleted or replaced database files, and a write path that fails."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from feedserver import FeedServer, rss

from monitor import config as config_module
from monitor.daemon import Daemon
from monitor.store import sqlite as sqlite_store


def _live(request: web.Request) -> web.Response:
    """A feed that gains an item every second, so the daemon writes at every poll."""
    tick = int(time.time())
    items = [(f"Update {t}", f"http://example.org/{t}") for t in range(tick, tick - 5, -1)]
    return web.Response(body=rss("Live", items), content_type="application/rss+xml")


@asynccontextmanager
async def _daemon(tmp_path: Path, url: str) -> AsyncIterator[tuple[Daemon, str, list[str]]]:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[monitor]\ndatabase = "{tmp_path / "monitor.db"}"\nmetrics = "127.0.0.1:0"\n'
        'interval = "1s"\nmin_interval = "1s"\njitter = 0.0\n'
        f'[[feeds]]\nurl = "{url}"\n'
    )
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("monitor.daemon")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    daemon = Daemon(config_module.load(path), path)
    task = asyncio.create_task(daemon.run())
    try:
        for _ in range(200):
            if daemon.metrics_port is not None:
                break
            await asyncio.sleep(0.05)
        yield daemon, f"http://127.0.0.1:{daemon.metrics_port}/healthz", lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        daemon.stop()
        await asyncio.wait_for(task, 30)


async def _healthz_until(url: str, status: int, limit: float) -> dict[str, str]:
    async with aiohttp.ClientSession() as session:
        deadline = time.monotonic() + limit
        while True:
            async with session.get(url) as resp:
                body: dict[str, str] = await resp.json()
                if resp.status == status or time.monotonic() > deadline:
                    assert resp.status == status, body
                    return body
            await asyncio.sleep(0.1)


def _delete(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def _replace(db: Path) -> None:
    other = db.with_name("other.db")
    sqlite3.connect(other).close()
    os.replace(other, db)


@pytest.mark.parametrize(
    ("what", "vanish", "reason"),
    [("deleted", _delete, "was deleted"), ("replaced", _replace, "was replaced")],
)
async def test_database_files_gone_under_a_running_daemon_make_it_unhealthy(
    what: str,
    vanish: Callable[[Path], None],
    reason: str,
    feed_server: FeedServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    feed_server.handler("/live", _live)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify.sock"))
    notify.setblocking(False)
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "notify.sock"))
    monkeypatch.setenv("WATCHDOG_USEC", "200000")

    def said() -> list[str]:
        out = []
        while True:
            try:
                out.append(notify.recv(4096).decode())
            except BlockingIOError:
                return out

    try:
        async with _daemon(tmp_path, feed_server.url("/live")) as (_, healthz, log):
            await _healthz_until(healthz, 200, 10)
            assert "WATCHDOG=1" in said() or (await asyncio.sleep(0.3), "WATCHDOG=1" in said())[1]
            vanish(tmp_path / "monitor.db")
            body = await _healthz_until(healthz, 503, 5)
            assert reason in body["reason"] and "monitor.db" in body["reason"]
            await asyncio.sleep(0.3)  # a watchdog tick that may have been on its way
            said()
            await asyncio.sleep(0.5)
            assert "WATCHDOG=1" not in said(), "the watchdog is still fed"
            assert any("unhealthy" in line and reason in line for line in log), log
    finally:
        notify.close()


async def test_a_failing_write_path_makes_it_unhealthy_until_writes_work_again(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The lock below is held past SQLite's busy timeout: 1 s of it rather than the usual 5.
    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT_MS", 1000)
    # The log watcher looks at systemd's pace (half of this), not every 2 s.
    monkeypatch.setenv("WATCHDOG_USEC", "400000")
    feed_server.handler("/live", _live)
    async with _daemon(tmp_path, feed_server.url("/live")) as (_, healthz, log):
        await _healthz_until(healthz, 200, 10)
        # Another program takes SQLite's write lock and keeps it past the busy timeout.
        holder = sqlite3.connect(
            tmp_path / "monitor.db", isolation_level=None, check_same_thread=False
        )
        try:
            # Off the event loop: a write of the daemon's in flight needs the loop to end.
            await asyncio.to_thread(holder.execute, "BEGIN IMMEDIATE")
            body = await _healthz_until(healthz, 503, 30)
            assert "writes to the database fail" in body["reason"]
            assert "locked" in body["reason"]
            for _ in range(100):  # the log watcher's next look
                if any("unhealthy" in line for line in log):
                    break
                await asyncio.sleep(0.1)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        await _healthz_until(healthz, 200, 30)
        for _ in range(100):  # the log watcher's next look
            if any("healthy again" in line for line in log):
                break
            await asyncio.sleep(0.1)
    assert any("unhealthy" in line and "writes to the database fail" in line for line in log), log
    assert any("healthy again" in line for line in log), log
