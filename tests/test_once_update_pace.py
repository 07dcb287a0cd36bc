"""``monitor once`` run again and again (cron) while an event keeps growing: its updates on a
channel where each is a message of its own (email, a webhook) keep the pace the daemon keeps,
the first one ``update_delay`` after its growth, each one after it twice as long, and not one
a run. The first update goes at the end of its run (waiting to coalesce is moot there: nothing
more of the run can join it); a paced one waits in the outbox for a run after its time, and
the run says so. Through the real pipeline (local feeds, a webhook receiver)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import webhook_receiver
from test_alert_update_pace import ANGLES, FIRST
from test_events_alerts import rss

from monitor.config import Config
from monitor.oneshot import run_once

OUTLETS = ("/a", "/b", "/c")


def config(tmp_path: Path, urls: list[str], hook_url: str) -> Config:
    text = f"""
[[rules]]
name = "first"
query = 'Zelensky'
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{hook_url}"
update_delay = "1m"
update_max = "30m"
"""
    return make_config(tmp_path, urls, extra=text)


async def test_once_keeps_the_pace_of_an_events_updates(
    feed_server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="monitor.oneshot")
    for path in OUTLETS:
        feed_server.feed(path, rss(f"Outlet {path}", []))
    urls = [feed_server.url(p) for p in OUTLETS]
    async with webhook_receiver() as hook:
        cfg = config(tmp_path, urls, hook.url)
        kinds: list[list[str]] = []
        # A run each time the event grows: a story of it on one more outlet.
        for n, (path, title) in enumerate(zip(OUTLETS, [FIRST, *ANGLES], strict=False)):
            feed_server.feed(path, rss(f"Outlet {path}", [(title, f"http://{n}.example/1")]))
            await run_once(cfg)
            kinds.append([p["alert"]["kind"] for p in hook.payloads()])
    said = [r.getMessage() for r in caplog.records]
    assert kinds[:2] == [["new"], ["new", "update"]]
    # The second update waits twice update_delay after its growth: not sent by this run.
    assert kinds[2] == ["new", "update"], kinds
    # Kept, not lost, and the run says until when.
    assert any(
        m.startswith("hook: 1 alert pending") and "next due at" in m and "next run" in m
        for m in said
    ), said
