"""An alert leaves as soon as the poll that queued it has committed, not when the outbox's
idle workers next look (up to IDLE_MAX seconds later)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from feedserver import FeedServer, rss
from helpers import make_config
from standins import webhook_receiver

from monitor.engine import Engine
from monitor.outbox.deliver import IDLE_MAX
from monitor.pipeline import refresh_feed

RULE = """
[[rules]]
name = "summit"
query = "summit"
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{url}"
"""


async def test_a_poll_that_queues_an_alert_sends_it_at_once(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.feed("/wire", rss("Wire", [("Rail summit opens in Vienna", "http://e.org/1")]))
    async with webhook_receiver() as hook:
        config = make_config(tmp_path, [feed_server.url("/wire")], extra=RULE.format(url=hook.url))
        engine = await Engine.open(config)
        try:
            engine.start_delivery()
            await asyncio.sleep(0.3)  # the worker found the outbox empty and idles
            await refresh_feed(engine.rt, config.feeds[0])
            started = time.monotonic()
            # The stand-in only records requests: looking at it is the observation.
            while not hook.requests and time.monotonic() - started < 2 * IDLE_MAX:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
            waited = time.monotonic() - started
        finally:
            await engine.close()
    assert len(hook.requests) == 1
    # Woken by the commit it takes milliseconds; unwoken, the worker's idle sleep of
    # IDLE_MAX. Half of it leaves a loaded machine seconds of margin either way.
    assert waited < IDLE_MAX / 2, waited
