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


async def test_a_restart_keeps_a_quiet_adaptive_feeds_longer_interval(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """schedule = adaptive: a quiet feed's interval is the longest (1h). With the same config,
    a restart keeps its hour: its own interval is read from its next body, and until then it
    may be that long (review15d D1: every quiet adaptive feed was polled at the base interval,
    all at once, after every restart). SQLite: the cluster's start reads the same timing."""
    feed_server.feed("/f", rss("F", [("Item", "http://example.org/1")]))  # items of 2025
    path = tmp_path / "config.toml"
    path.write_text(
        f'[monitor]\ndatabase = "{tmp_path / "m.db"}"\ninterval = "1s"\nmin_interval = "1s"\n'
        f'jitter = 0.0\nschedule = "adaptive"\nmax_interval = "1h"\n'
        f'[[feeds]]\nurl = "{feed_server.url("/f")}"\n'
    )
    await run_once(config_module.load(path))  # next check in an hour (adaptive, quiet)
    polled = time.monotonic()
    daemon = Daemon(config_module.load(path), path)
    task = await _started(daemon)
    # Polled at the base interval, it would be due a second after the first poll (or at once,
    # on a start slower than that).
    deadline = max(polled + 1.8, time.monotonic() + 0.8)
    try:
        assert await _until(feed_server, 2, deadline) == 1
    finally:
        await _stop(daemon, task)


async def test_a_reload_during_a_poll_honours_a_shorter_feed_interval(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """The feed's own interval goes 1h -> 1s while its poll is in flight: the poll, which
    started with the old settings, is due again under the new ones (review15d D3: it waited
    out the hour). SQLite: the cluster's polls end through the same code."""
    release = asyncio.Event()
    body = rss("F", [("Item", "http://example.org/1")])

    async def slow(request: web.Request) -> web.Response:
        if len(feed_server.hits("/f")) == 1:  # the daemon's first poll
            await release.wait()
        return web.Response(body=body, content_type="application/rss+xml")

    feed_server.handler("/f", slow)
    path = tmp_path / "config.toml"

    def write(interval: str) -> None:
        path.write_text(
            f'[monitor]\ndatabase = "{tmp_path / "m.db"}"\ninterval = "1h"\n'
            f'min_interval = "1s"\njitter = 0.0\n[[feeds]]\nurl = "{feed_server.url("/f")}"\n'
            f'interval = "{interval}"\n'
        )

    write("1h")  # a new feed: the daemon polls it at its start
    daemon = Daemon(config_module.load(path), path)
    task = await _started(daemon)
    try:
        assert await _until(feed_server, 1, time.monotonic() + 5) == 1  # in flight
        write("1s")
        assert await daemon.reload()
        release.set()
        started = time.monotonic()
        assert await _until(feed_server, 2, started + 3.0) == 2  # 1 s after it, with slack
    finally:
        release.set()
        await _stop(daemon, task)


async def test_a_reload_during_a_poll_keeps_the_servers_max_age(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """A reload that does not shorten the feed's interval, during its poll, leaves the next
    check the server asked for (max-age: an hour) as it is (review15e D1: every reload cut a
    polling feed's max-age to its interval, an early extra poll)."""
    release = asyncio.Event()
    body = rss("F", [("Item", "http://example.org/1")])

    async def slow(request: web.Request) -> web.Response:
        if len(feed_server.hits("/f")) == 1:  # the daemon's first poll
            await release.wait()
        return web.Response(
            body=body, content_type="application/rss+xml", headers={"Cache-Control": "max-age=3600"}
        )

    feed_server.handler("/f", slow)
    path = _config(tmp_path / "config.toml", str(tmp_path / "m.db"), feed_server.url("/f"), "1s")
    daemon = Daemon(config_module.load(path), path)
    task = await _started(daemon)
    try:
        assert await _until(feed_server, 1, time.monotonic() + 5) == 1  # in flight
        assert await daemon.reload()  # the same config
        release.set()
        assert await _until(feed_server, 2, time.monotonic() + 2.0) == 1
    finally:
        release.set()
        await _stop(daemon, task)
