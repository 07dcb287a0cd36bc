"""The scheduler under overload: every configured feed keeps exactly one next poll.

More feeds than one core can poll in an interval, a poll that outlasts its interval, and
a reload that adds and removes feeds: no feed is ever dropped from the schedule.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web
from feedserver import FeedServer, rss

from monitor import config as config_module
from monitor.daemon import Daemon
from monitor.schedule import FeedScheduler


def _write(path: Path, urls: list[str], interval: str = "1s") -> Path:
    lines = [
        "[monitor]",
        f'database = "{path.parent / "monitor.db"}"',
        f'interval = "{interval}"',
        'min_interval = "1s"',
        "jitter = 0.0",
        'grace_period = "0.2s"',  # the polls still in flight at the end: not waited for
        "[fetch]",
        "concurrency = 100",
        "per_host = 100",
        'timeout = "30s"',
        'read_timeout = "30s"',
    ]
    for url in urls:
        lines += ["[[feeds]]", f'url = "{url}"']
    path.write_text("\n".join(lines) + "\n")
    return path


@asynccontextmanager
async def _running(path: Path) -> AsyncIterator[Daemon]:
    daemon = Daemon(config_module.load(path), path)
    task = asyncio.create_task(daemon.run())
    try:
        yield daemon
    finally:
        daemon.stop()
        await asyncio.wait_for(task, 30)


def _live(i: int) -> Callable[[web.Request], web.Response]:
    """A feed of 10 items that gains one every second, so every poll parses and stores."""

    def handler(request: web.Request) -> web.Response:
        tick = int(time.time())
        items = [
            (f"Feed {i} update {t}", f"http://example.org/{i}/{t}")
            for t in range(tick, tick - 10, -1)
        ]
        return web.Response(body=rss(f"Live {i}", items), content_type="application/rss+xml")

    return handler


def _polls(fs: FeedServer, prefix: str) -> Counter[str]:
    return Counter(r.path for r in fs.requests if r.path.startswith(prefix))


async def test_every_feed_is_polled_again_and_again_under_overload(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feeds, wanted, limit = 200, 3, 120.0
    paths = [f"/live{i}" for i in range(feeds)]
    for i, p in enumerate(paths):
        feed_server.handler(p, _live(i))
    config = _write(tmp_path / "config.toml", [feed_server.url(p) for p in paths])
    started = time.monotonic()
    async with _running(config):
        while time.monotonic() - started < limit:
            polls = _polls(feed_server, "/live")
            if len(polls) == feeds and min(polls.values()) >= wanted:
                break
            await asyncio.sleep(0.5)
    took = time.monotonic() - started
    polls = _polls(feed_server, "/live")
    counts = sorted(polls.get(p, 0) for p in paths)
    print(
        f"\n{feeds} feeds at a 1s interval: {sum(counts)} polls in {took:.1f}s;"
        f" per feed min {counts[0]}, median {counts[feeds // 2]}, max {counts[-1]}"
    )
    assert counts[0] >= wanted, f"a feed was polled only {counts[0]} times in {took:.0f}s"
    # Overdue feeds are served in the order they fell due: none runs far ahead of the rest.
    assert counts[-1] <= counts[0] + 3


async def test_a_poll_that_outlasts_its_interval_keeps_the_feed_in_the_schedule(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    running = 0
    most = 0

    async def slow(request: web.Request) -> web.Response:
        nonlocal running, most
        running += 1
        most = max(most, running)
        try:
            await asyncio.sleep(1.3)  # longer than the feed's interval (1 s)
        finally:
            running -= 1
        return web.Response(body=rss("Slow", [("One", "http://example.org/1")]))

    feed_server.handler("/slow", slow)
    config = _write(tmp_path / "config.toml", [feed_server.url("/slow")])
    async with _running(config):
        for _ in range(300):
            if len(feed_server.hits("/slow")) >= 3:
                break
            await asyncio.sleep(0.1)
    assert len(feed_server.hits("/slow")) >= 3, "the slow feed was dropped from the schedule"
    assert most == 1, "the same feed was polled twice at once"


async def test_reload_adds_and_removes_feeds_even_while_they_are_polled(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    in_flight = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        in_flight.set()
        await asyncio.sleep(1.5)
        return web.Response(body=rss("A", [("One", "http://example.org/1")]))

    feed_server.handler("/a", slow)
    feed_server.feed("/b", rss("B", [("Two", "http://example.org/2")]))
    feed_server.feed("/c", rss("C", [("Three", "http://example.org/3")]))
    url = feed_server.url
    config = _write(tmp_path / "config.toml", [url("/a"), url("/b")])
    async with _running(config) as daemon:
        await asyncio.wait_for(in_flight.wait(), 20)
        # /a leaves the config while it is being polled; /c joins.
        _write(config, [url("/b"), url("/c")])
        assert await daemon.reload()
        removed_at = len(feed_server.hits("/a"))
        b_before = len(feed_server.hits("/b"))
        for _ in range(100):
            if len(feed_server.hits("/c")) >= 3 and len(feed_server.hits("/b")) >= b_before + 3:
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # more time for /a to come back (its poll ended 1 s ago or more)
        assert await daemon.health_problem() is None
    assert len(feed_server.hits("/c")) >= 3, "the added feed is not polled on its interval"
    assert len(feed_server.hits("/b")) >= b_before + 3, "a kept feed lost its schedule"
    assert len(feed_server.hits("/a")) == removed_at, "a removed feed was polled again"


async def test_a_cold_start_of_thousands_of_feeds_runs_a_bounded_number_of_polls() -> None:
    feeds, bound = 3000, 20
    polls: Counter[str] = Counter()
    running = most = 0

    async def poll(url: str) -> float:
        nonlocal running, most
        running += 1
        most = max(most, running)
        try:
            await asyncio.sleep(0.001)
            polls[url] += 1
        finally:
            running -= 1
        return time.time() + 0.3

    scheduler = FeedScheduler(poll, max_polls=bound)
    now = time.time()
    for i in range(feeds):
        scheduler.schedule_feed(f"feed{i}", now)
    scheduler.start()
    try:
        for _ in range(300):
            if len(polls) == feeds and min(polls.values()) >= 2:
                break
            await asyncio.sleep(0.05)
    finally:
        scheduler.shutdown()
    assert len(polls) == feeds and min(polls.values()) >= 2
    assert most <= bound
    assert scheduler.scheduled_feeds() == {f"feed{i}" for i in range(feeds)}
