"""``monitor once`` with an update (or a storm summary) held by quiet hours: the drain brings
each held one forward once, and when quiet hours hold it again, it ends and says why it
stays, rather than sit out its timeout releasing it again and again and say "still waiting"
(every cron run through the night blocked a minute). Through the real pipeline (local feeds,
a webhook receiver), on both backends."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import webhook_receiver
from test_alert_rules_fold import FIRST, LATER, quiet_now
from test_events_alerts import rss

from monitor import oneshot
from monitor.config import Config
from monitor.oneshot import run_once


def config(tmp_path: Path, urls: list[str], hook_url: str, database: str, quiet: str) -> Config:
    text = f"""
[[rules]]
name = "first"
query = 'Snowden'
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{hook_url}"
timezone = "UTC"
update_delay = "0s"
{quiet}
"""
    return make_config(tmp_path, urls, extra=text, database=database)


async def test_once_ends_and_says_why_when_quiet_hours_hold_an_update(
    feed_server: FeedServer,
    tmp_path: Path,
    database: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(oneshot, "DRAIN_TIMEOUT", 8.0)  # before: the whole 8 s, then "still"
    caplog.set_level(logging.WARNING, logger="monitor.oneshot")
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed_server.feed("/b", rss("Outlet B", []))
    urls = [feed_server.url("/a"), feed_server.url("/b")]
    async with webhook_receiver() as hook:
        # Before quiet hours: the message goes out.
        await run_once(config(tmp_path, urls, hook.url, database, ""))
        assert [p["alert"]["kind"] for p in hook.payloads()] == ["new"]
        # In them (the next cron run): the event grows; its update is held by quiet hours.
        feed_server.feed("/b", rss("Outlet B", [(LATER, "http://b.example/1")]))
        quiet = config(tmp_path, urls, hook.url, database, f'quiet_hours = "{quiet_now()}"')
        started = time.monotonic()
        await run_once(quiet)
        took = time.monotonic() - started
        said = [r.getMessage() for r in caplog.records]
        assert [p["alert"]["kind"] for p in hook.payloads()] == ["new"]  # held, rightly
        assert not any("still waiting after" in m for m in said), said
        assert took < 6, took
        assert any(m.startswith("hook: ") and "held by quiet hours" in m for m in said), said
        # Quiet hours over (the next run's config): the update goes.
        await run_once(config(tmp_path, urls, hook.url, database, ""))
    assert [p["alert"]["kind"] for p in hook.payloads()] == ["new", "update"]
