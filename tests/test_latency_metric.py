"""The publish -> alert sent histogram on /metrics: what an operator graphs to see how late
the news reaches the desk."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import aiohttp
import pytest
from feedserver import FeedServer
from helpers import make_config
from prometheus_client.parser import text_string_to_metric_families
from standins import webhook_receiver

from monitor.daemon import Daemon
from monitor.metrics import LATENCY_MAX_AGE, publish_to_sent

QUEUED = 1_764_936_000.0


def _date(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


@pytest.mark.parametrize(
    ("what", "published", "expected"),
    [
        ("dated two minutes before it was queued", _date(QUEUED - 120), 125.0),
        ("no date: from first seen", None, 5.0),
        ("dated in the future: from first seen", _date(QUEUED + 3600), 5.0),
        ("dated years ago: from first seen", _date(QUEUED - 3 * 365 * 86400), 5.0),
        ("just inside the age limit", _date(QUEUED - LATENCY_MAX_AGE + 1), LATENCY_MAX_AGE + 4),
    ],
)
def test_the_clock_starts_at_a_believable_publish_time(
    what: str, published: datetime | None, expected: float
) -> None:
    assert publish_to_sent(published, QUEUED, QUEUED + 5) == pytest.approx(expected), what


def _feed(items: list[tuple[str, float]]) -> bytes:
    entries = "".join(
        f"<item><title>{title}</title><link>http://example.org/{i}</link>"
        f"<pubDate>{format_datetime(_date(ts), usegmt=True)}</pubDate></item>"
        for i, (title, ts) in enumerate(items)
    )
    return f'<rss version="2.0"><channel><title>A</title>{entries}</channel></rss>'.encode()


def _histogram(text: str) -> dict[str, float]:
    """The hook channel's samples of monitor_alert_latency_seconds, by name and bucket."""
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name != "monitor_alert_latency_seconds":
            continue
        for s in family.samples:
            if s.labels.get("channel") == "hook":
                out[s.name.rpartition("_")[2] + s.labels.get("le", "")] = s.value
    return out


async def test_delivered_alerts_are_in_the_latency_histogram(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    now = time.time()
    feed_server.feed(
        "/a",
        _feed(
            [
                ("Summit opens ten minutes after it was published", now - 600),
                ("Summit ends, dated tomorrow by a clock that runs ahead", now + 86400),
                ("Summit archive dated 1999", 915_148_800.0),
            ]
        ),
    )
    async with webhook_receiver() as hook:
        rules = (
            '[[rules]]\nname = "summit"\nquery = "summit"\nchannels = ["hook"]\n'
            'alert_on = "story"\n[channels.hook]\ntype = "webhook"\n'
            f'url = "{hook.url}"\nstorm_limit = 0\n'
        )
        config = make_config(tmp_path, [feed_server.url("/a")], rules, metrics="127.0.0.1:0")
        daemon = Daemon(config, None)
        task = asyncio.create_task(daemon.run())
        try:
            for _ in range(400):
                if len(hook.requests) >= 3 and daemon.metrics_port is not None:
                    break
                await asyncio.sleep(0.05)
            assert len(hook.requests) == 3
            url = f"http://127.0.0.1:{daemon.metrics_port}/metrics"
            async with aiohttp.ClientSession() as session:
                for _ in range(100):  # the delivery is marked just after the receiver answers
                    async with session.get(url) as resp:
                        seen = _histogram(await resp.text())
                    if seen.get("count") == 3:
                        break
                    await asyncio.sleep(0.05)
        finally:
            daemon.stop()
            await asyncio.wait_for(task, 30)
    assert seen["count"] == 3
    # The two with unbelievable dates count from when they were seen: seconds, on any machine.
    assert seen["bucket60.0"] == 2
    assert seen["bucket600.0"] == 2 and seen["bucket1200.0"] == 3
    assert 600 <= seen["sum"] < 600 + 120
