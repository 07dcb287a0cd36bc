"""A shorter interval is honoured at once after a reload and after a restart: the feed is due
an interval after its last check, not at the next check the longer interval made (explore10
found it waiting out the old six hours). A server's Retry-After is kept whatever the config.
On PostgreSQL the daemon is a node of a cluster: the feed's time is the leases table's."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from aiohttp import web
from feedserver import FeedServer, rss

from monitor import config as config_module
from monitor.daemon import Daemon
from monitor.oneshot import run_once

pytestmark = pytest.mark.timeout(30)


def _config(path: Path, database: str, url: str, interval: str) -> Path:
    path.write_text(
        f'[monitor]\ndatabase = "{database}"\ninterval = "{interval}"\n'
        f'min_interval = "1s"\njitter = 0.0\n[[feeds]]\nurl = "{url}"\n'
    )
    return path


async def _until(feed_server: FeedServer, hits: int, deadline: float) -> int:
    """The feed's requests once it has had ``hits`` of them, or at ``deadline`` (monotonic)."""
    while time.monotonic() < deadline:
        if len(feed_server.hits("/f")) >= hits:
            break
        await asyncio.sleep(0.02)
    return len(feed_server.hits("/f"))


async def _started(daemon: Daemon) -> asyncio.Task[int]:
    task = asyncio.create_task(daemon.run())
    for _ in range(200):
        if await daemon.health_problem() is None:
            return task
        await asyncio.sleep(0.01)
    raise AssertionError("the daemon did not start")


async def _stop(daemon: Daemon, task: asyncio.Task[int]) -> None:
    daemon.stop()
    await asyncio.wait_for(task, 10)


async def test_a_reload_to_a_shorter_interval_polls_within_it(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    feed_server.feed("/f", rss("F", [("Item", "http://example.org/1")]))
    path = _config(tmp_path / "config.toml", database, feed_server.url("/f"), "1h")
    await run_once(config_module.load(path))  # polled: next check in an hour
    polled = time.monotonic()
    daemon = Daemon(config_module.load(path), path)
    task = await _started(daemon)
    try:
        _config(path, database, feed_server.url("/f"), "1s")
        assert await daemon.reload()
        # Due a second after the last check; it waited out the hour.
        assert await _until(feed_server, 2, polled + 1.8) == 2
    finally:
        await _stop(daemon, task)


async def test_a_restart_with_a_shorter_interval_polls_within_it(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    feed_server.feed("/f", rss("F", [("Item", "http://example.org/1")]))
    path = _config(tmp_path / "config.toml", database, feed_server.url("/f"), "1h")
    await run_once(config_module.load(path))  # the store says: next check in an hour
    polled = time.monotonic()
    daemon = Daemon(config_module.load(path), path)  # a cluster's table says so too
    await _stop(daemon, await _started(daemon))
    daemon = Daemon(config_module.load(_config(path, database, feed_server.url("/f"), "1s")), path)
    task = await _started(daemon)
    try:
        assert await _until(feed_server, 2, polled + 1.8) == 2
    finally:
        await _stop(daemon, task)


async def test_a_retry_after_outlasts_a_shorter_interval(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """SQLite only: the rule is the backends' one (``pollstate.due_under``)."""
    database = str(tmp_path / "monitor.db")

    async def busy(request: web.Request) -> web.Response:
        return web.Response(status=503, headers={"Retry-After": "3600"})

    feed_server.handler("/f", busy)
    path = _config(tmp_path / "config.toml", database, feed_server.url("/f"), "1h")
    await run_once(config_module.load(path))  # 503, Retry-After an hour
    polled = time.monotonic()
    daemon = Daemon(config_module.load(path), path)
    task = await _started(daemon)
    try:  # neither the reload nor the restart below asks before the hour is out
        _config(path, database, feed_server.url("/f"), "1s")
        assert await daemon.reload()
    finally:
        await _stop(daemon, task)
    daemon = Daemon(config_module.load(path), path)
    task = await _started(daemon)
    try:
        # A shortened schedule would be due a second after the first poll, before this.
        assert await _until(feed_server, 2, polled + 1.5) == 1
    finally:
        await _stop(daemon, task)
