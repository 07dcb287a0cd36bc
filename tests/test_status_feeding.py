"""``monitor status`` says how each feed is fed: pushed by a hub (see test_websub), polled at
a fixed interval, or polled at the interval its own publishing rate gives."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import make_config

from monitor.cli.status import collect, render
from monitor.engine import Engine
from monitor.pipeline import refresh_feed

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0


def _feed(ages: list[float] | None, count: int = 5) -> bytes:
    """Items published ``ages`` seconds ago (None: ``count`` undated items)."""
    now = time.time()
    dated = [(i, f"<pubDate>{format_datetime(datetime.fromtimestamp(now - a, UTC), True)}</pubDate>")
             for i, a in enumerate(ages)] if ages is not None else [(i, "") for i in range(count)]  # fmt: skip
    items = "".join(
        f"<item><title>News {i}</title><link>http://example.org/{i}</link>{date}</item>"
        for i, date in dated
    )
    return f'<rss version="2.0"><channel><title>F</title>{items}</channel></rss>'.encode()


@pytest.mark.parametrize(
    ("what", "schedule", "feed_interval", "ages", "expected", "every"),
    [
        ("fixed: the default interval", "fixed", None, [MINUTE * i for i in range(20)],
         "poll every 10m", 600.0),
        ("adaptive, an item a minute", "adaptive", None, [MINUTE * i for i in range(20)],
         "adaptive every 1m", MINUTE),
        ("adaptive, three posts in six days: max_interval", "adaptive", None,
         [2 * DAY, 4 * DAY, 6 * DAY], "adaptive every 12h", 12 * HOUR),
        ("adaptive, but the feed has its own interval", "adaptive", "5m",
         [MINUTE * i for i in range(20)], "poll every 5m", 300.0),
        ("adaptive, but no item is dated", "adaptive", None, None,
         "poll every 10m", 600.0),
    ],
)  # fmt: skip
async def test_status_says_how_each_feed_is_polled(
    feed_server: FeedServer,
    tmp_path: Path,
    what: str,
    schedule: str,
    feed_interval: str | None,
    ages: list[float] | None,
    expected: str,
    every: float,
) -> None:
    feed_server.feed("/f", _feed(ages))  # dated from now: the test may run minutes after collection
    extra = f'interval = "{feed_interval}"\n' if feed_interval else ""
    config = make_config(
        tmp_path, [feed_server.url("/f")], extra, schedule=schedule, interval="10m",
        min_interval="1m", max_interval="12h",
    )  # fmt: skip
    engine = await Engine.open(config)
    try:
        assert (await refresh_feed(engine.rt, config.feeds[0])).result == "new"
    finally:
        await engine.close()
    report = await collect(config)
    feed = report["feeds"][0]
    assert feed["poll_every"] == pytest.approx(every, rel=0.1), what
    assert feed["schedule"] == expected.split()[0].replace("poll", "fixed"), what
    assert expected in render(report), what
