"""Adaptive polling (``[monitor] schedule = "adaptive"``): each feed's interval from its own
publishing rate, clamped to [min_interval, max_interval], the politeness rules on top."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest
from aiohttp import web
from feedserver import FeedServer

from monitor import config as config_module
from monitor.daemon import Daemon
from monitor.engine import Engine
from monitor.pipeline import refresh_feed
from monitor.schedule import WEEK, Publishing, adaptive_interval, publishing

NOW = 1_764_936_000.0  # the mocked clock
MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0


@pytest.mark.parametrize(
    ("what", "times", "expected"),
    [
        ("a wire: an item a minute", [NOW - i * MINUTE for i in range(20)], MINUTE),
        (
            "twenty items over the last 10 hours",
            [NOW - i * 0.5 * HOUR for i in range(20)],
            0.5 * HOUR,
        ),
        ("a blog: three posts in six days", [NOW - 2 * DAY, NOW - 4 * DAY, NOW - 6 * DAY], 2 * DAY),
        ("nothing this week", [NOW - 8 * DAY, NOW - 30 * DAY], 3 * DAY),
        ("no dated items", [], 3 * DAY),
        ("an item every second: no faster than min_interval", [NOW - i for i in range(50)], MINUTE),
        ("dated in the future: counted as now", [NOW + DAY, NOW - 10 * MINUTE], 5 * MINUTE),
    ],
)
def test_the_interval_follows_the_feeds_own_rate(
    what: str, times: list[float], expected: float
) -> None:
    pub = publishing(times, NOW)
    assert adaptive_interval(pub, NOW, low=MINUTE, high=3 * DAY) == pytest.approx(
        expected, rel=0.06
    ), what


def test_a_feed_that_falls_silent_is_polled_less_and_less() -> None:
    pub = Publishing(count=10, oldest=NOW - HOUR)  # ten items in the hour before NOW
    soon = adaptive_interval(pub, NOW, low=MINUTE, high=12 * HOUR)
    later = adaptive_interval(pub, NOW + DAY, low=MINUTE, high=12 * HOUR)
    assert soon == pytest.approx(6 * MINUTE) and later > 10 * soon
    assert adaptive_interval(pub, NOW + 2 * WEEK, low=MINUTE, high=12 * HOUR) == 12 * HOUR


def _busy(request: web.Request) -> web.Response:
    """An item every second up to now: the feed's rate says poll it every second."""
    now = time.time()
    items = "".join(
        f"<item><title>Busy {int(now) - i}</title><link>http://example.org/b/{int(now) - i}</link>"
        f"<pubDate>{format_datetime(datetime.fromtimestamp(now - i, UTC), usegmt=True)}</pubDate></item>"
        for i in range(10)
    )
    return web.Response(
        body=f'<rss version="2.0"><channel><title>Busy</title>{items}</channel></rss>'.encode()
    )


def _quiet(request: web.Request) -> web.Response:
    """Three posts in the last six days: poll it at max_interval."""
    items = "".join(
        f"<item><title>Quiet {d}</title><link>http://example.org/q/{d}</link>"
        f"<pubDate>{format_datetime(datetime.fromtimestamp(time.time() - d * DAY, UTC), usegmt=True)}</pubDate></item>"
        for d in (2, 4, 6)
    )
    return web.Response(
        body=f'<rss version="2.0"><channel><title>Quiet</title>{items}</channel></rss>'.encode()
    )


async def _watch(feed_server: FeedServer, path: str, polls: int | None, most: float) -> None:
    """Wait until `path` has had `polls` requests, or `most` seconds (all of them when
    `polls` is None)."""
    deadline = time.monotonic() + most
    while time.monotonic() < deadline:
        if polls is not None and len(feed_server.hits(path)) >= polls:
            return
        await asyncio.sleep(0.05)


@pytest.mark.parametrize(("schedule", "busy_polls"), [("fixed", (1, 1)), ("adaptive", (3, 99))])
async def test_a_busy_feed_is_polled_often_and_a_quiet_one_seldom(
    schedule: str, busy_polls: tuple[int, int], feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.handler("/busy", _busy)
    feed_server.handler("/quiet", _quiet)
    path = tmp_path / "config.toml"
    path.write_text(
        f'[monitor]\ndatabase = "{tmp_path / "monitor.db"}"\nschedule = "{schedule}"\n'
        'interval = "1h"\nmin_interval = "1s"\nmax_interval = "2h"\njitter = 0.0\n'
        f'[[feeds]]\nurl = "{feed_server.url("/busy")}"\n[[feeds]]\nurl = "{feed_server.url("/quiet")}"\n'
    )
    low, high = busy_polls
    daemon = Daemon(config_module.load(path), path)
    task = asyncio.create_task(daemon.run())
    try:
        # Watched for 12 s at most; the adaptive schedule is done once the busy feed has had
        # its three polls (the quiet one, polled on a 1 s rate, would have had three too by
        # then). The fixed one is watched for 3 s: three of the busy feed's 1 s gaps, in
        # which a schedule that followed its rate would poll it again (2 polls or more).
        if schedule == "adaptive":
            await _watch(feed_server, "/busy", low, 12)
        else:
            await _watch(feed_server, "/busy", None, 3)
    finally:
        daemon.stop()
        await asyncio.wait_for(task, 30)
    polls = Counter(r.path for r in feed_server.requests)
    assert low <= polls["/busy"] <= high, polls
    assert polls["/quiet"] == 1, polls


async def test_after_a_restart_the_rate_comes_from_the_store(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """The body does not change, so every poll after the first is a 304 with nothing to
    parse: the restarted daemon knows the feed is busy from the items it stored."""
    now = time.time()
    items = "".join(
        f"<item><title>Busy {i}</title><link>http://example.org/b/{i}</link>"
        f"<pubDate>{format_datetime(datetime.fromtimestamp(now - i, UTC), usegmt=True)}</pubDate></item>"
        for i in range(20)
    )
    feed_server.feed(
        "/busy", f'<rss version="2.0"><channel><title>B</title>{items}</channel></rss>'.encode()
    )
    path = tmp_path / "config.toml"
    path.write_text(
        f'[monitor]\ndatabase = "{tmp_path / "monitor.db"}"\nschedule = "adaptive"\n'
        'interval = "1h"\nmin_interval = "1s"\nmax_interval = "2h"\njitter = 0.0\n'
        f'[[feeds]]\nurl = "{feed_server.url("/busy")}"\n'
    )
    first = 0
    for run in range(2):
        daemon = Daemon(config_module.load(path), path)
        task = asyncio.create_task(daemon.run())
        try:
            # Each run until its third poll, 12 s at most: with the rate lost, the restarted
            # daemon would wait max_interval (2 h) after its first poll, a 304.
            await _watch(feed_server, "/busy", first + 3, 12)
        finally:
            daemon.stop()
            await asyncio.wait_for(task, 30)
        if run == 0:
            first = len(feed_server.hits("/busy"))
    again = len(feed_server.hits("/busy")) - first
    assert first >= 3 and again >= 3, (first, again)
    assert all("If-None-Match" in r.headers for r in feed_server.hits("/busy")[1:])


def _dated(ages: list[float], now: float) -> bytes:
    items = "".join(
        f"<item><title>Item {i}</title><link>http://example.org/{i}</link>"
        f"<pubDate>{format_datetime(datetime.fromtimestamp(now - age, UTC), usegmt=True)}</pubDate></item>"
        for i, age in enumerate(ages)
    )
    return f'<rss version="2.0"><channel><title>F</title>{items}</channel></rss>'.encode()


@pytest.mark.parametrize(
    ("what", "ages", "longest", "delay"),
    [
        ("an item a minute: shrinks from the 5m interval", [i * MINUTE for i in range(20)],
         "6h", MINUTE),
        ("an item every 20 minutes", [i * 20 * MINUTE for i in range(20)], "6h", 20 * MINUTE),
        ("three posts in six days: grows to max_interval", [2 * DAY, 4 * DAY, 6 * DAY],
         "6h", 6 * HOUR),
        ("the same, max_interval unset: twice the interval", [2 * DAY, 4 * DAY, 6 * DAY],
         None, 10 * MINUTE),
        ("an item every 5 s: held at min_interval", [i * 5.0 for i in range(20)], "6h", MINUTE),
        ("items older than a week: max_interval", [8 * DAY, 9 * DAY], "6h", 6 * HOUR),
    ],
)  # fmt: skip
async def test_the_next_poll_follows_the_rate_and_a_304_keeps_it(
    what: str,
    ages: list[float],
    longest: str | None,
    delay: float,
    feed_server: FeedServer,
    tmp_path: Path,
) -> None:
    """What bench/adaptive.py rests on: through the real pipeline on a mocked clock, each
    poll's next check is the feed's mean gap, clamped to [min_interval, max_interval]; and
    the polls that get a 304 (nothing new) keep it, as the gap is still the feed's rate."""
    feed_server.feed("/f", _dated(ages, NOW))
    path = tmp_path / "config.toml"
    path.write_text(
        f'[monitor]\ndatabase = "{tmp_path / "monitor.db"}"\nschedule = "adaptive"\n'
        'interval = "5m"\nmin_interval = "1m"\njitter = 0.0\n'
        + (f'max_interval = "{longest}"\n' if longest else "")
        + f'[[feeds]]\nurl = "{feed_server.url("/f")}"\n'
    )
    config = config_module.load(path)
    clock = NOW
    engine = await Engine.open(config, clock=lambda: clock)
    try:
        first = await refresh_feed(engine.rt, config.feeds[0])
        assert first.result == "new", what
        assert first.next_check - NOW == pytest.approx(delay, rel=0.06), what
        clock = first.next_check
        again = await refresh_feed(engine.rt, config.feeds[0])
        assert again.result == "not_modified", what
        assert again.next_check - clock == pytest.approx(delay, rel=0.06), what
    finally:
        await engine.close()
