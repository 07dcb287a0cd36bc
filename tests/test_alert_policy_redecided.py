"""An alert a channel's policy held (quiet hours) is decided again under the config in
force: at a reload and at the next start (``monitor once``), not left waiting for what an
earlier config said; a retry's back-off stays as it is. ``monitor once`` says why it leaves
an alert behind, and ``monitor status`` always says why one waits. Through the real
pipeline (local feeds, a webhook receiver), on both backends."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import webhook_receiver
from test_alert_rules_fold import FIRST, quiet_now
from test_events_alerts import rss

from monitor.config import Config
from monitor.engine import Engine
from monitor.oneshot import poll_all, run_once
from monitor.outbox import outbox_status, render_status


def config(tmp_path: Path, feed: str, hook_url: str, database: str, *, channel: str) -> Config:
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
{channel}
"""
    return make_config(tmp_path, [feed], extra=text, database=database)


async def waiting_lines(engine: Engine) -> list[str]:
    report = await outbox_status(engine.store.db, engine.config.channels)
    return [line for line in render_status(report) if "WAITING" in line]


async def test_quiet_hours_turned_off_by_a_reload_let_the_held_alert_go(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed = feed_server.url("/a")
    async with webhook_receiver() as hook:
        quiet = config(tmp_path, feed, hook.url, database, channel=f'quiet_hours = "{quiet_now()}"')
        engine = await Engine.open(quiet)
        try:
            await poll_all(engine.rt, progress=False)
            assert not await engine.drain(1)  # held by quiet hours
            assert hook.payloads() == []
            await engine.reload(config(tmp_path, feed, hook.url, database, channel=""))
            assert await engine.drain(5)
        finally:
            await engine.close()
    assert [p["alert"]["kind"] for p in hook.payloads()] == ["new"]


async def test_once_says_why_an_alert_stays_then_sends_it_when_quiet_hours_are_off(
    feed_server: FeedServer, tmp_path: Path, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="monitor.oneshot")
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed = feed_server.url("/a")
    async with webhook_receiver() as hook:
        quiet = config(tmp_path, feed, hook.url, database, channel=f'quiet_hours = "{quiet_now()}"')
        await run_once(quiet)
        said = [r.getMessage() for r in caplog.records]
        # The end of quiet hours, with its day when that is not today (from 21:00 UTC on).
        end = re.escape(quiet_now().split("-")[1])
        until = re.compile(rf"until (\d+ \w+ )?{end}\b")
        held = "hook: 1 alert pending, held by quiet hours until "
        assert any(held in m and until.search(m) for m in said), said
        assert not any("still waiting after" in m for m in said), said
        assert hook.payloads() == []
        # The user turns quiet hours off; before the next run, status says why it waits...
        plain = config(tmp_path, feed, hook.url, database, channel="")
        engine = await Engine.open(plain)
        try:
            (line,) = await waiting_lines(engine)
        finally:
            await engine.close()
        assert "by the channel's policy when queued" in line and until.search(line), line
        # ... and the next run sends it: not held for quiet hours that are no more.
        await run_once(plain)
    assert [p["alert"]["kind"] for p in hook.payloads()] == ["new"]


async def test_a_retry_back_off_is_kept_at_a_reload(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed = feed_server.url("/a")
    async with webhook_receiver() as hook:
        hook.script = [503]  # the first try fails: the alert waits out its back-off
        slow = 'retry_initial = "1h"\nretry_max = "2h"'
        engine = await Engine.open(config(tmp_path, feed, hook.url, database, channel=slow))
        try:
            await poll_all(engine.rt, progress=False)
            assert not await engine.drain(1)
            changed = f'{slow}\nquiet_hours = "off"\ndigest = "0s"\nexpire_after = "1d"'
            await engine.reload(config(tmp_path, feed, hook.url, database, channel=changed))
            assert not await engine.drain(1)
            (line,) = await waiting_lines(engine)
        finally:
            await engine.close()
    assert hook.payloads() == [] and hook.script == []
    assert "1 to retry after an error" in line, line


async def test_an_alert_tried_once_then_held_by_quiet_hours_goes_when_a_reload_ends_them(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    # The first try fails (503); by its retry quiet hours are on, and hold it. A reload that
    # turns them off lets it go at once, as one never tried: its retry was over already.
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed = feed_server.url("/a")
    retry = 'retry_initial = "1s"\nretry_max = "1s"'
    async with webhook_receiver() as hook:
        hook.script = [503]
        engine = await Engine.open(config(tmp_path, feed, hook.url, database, channel=retry))
        try:
            await poll_all(engine.rt, progress=False)
            assert not await engine.drain(0.3)  # tried once: it waits out its back-off
            quiet = f'{retry}\nquiet_hours = "{quiet_now()}"'
            await engine.reload(config(tmp_path, feed, hook.url, database, channel=quiet))
            assert not await engine.drain(3)  # retried... into quiet hours: held
            assert hook.payloads() == [] and hook.script == []
            (line,) = await waiting_lines(engine)
            assert "held by quiet hours" in line and "retry after an error" not in line, line
            await engine.reload(config(tmp_path, feed, hook.url, database, channel=retry))
            assert await engine.drain(5)
            attempts = await engine.store.db.fetch_val("SELECT attempts FROM alerts")
        finally:
            await engine.close()
    assert [p["alert"]["kind"] for p in hook.payloads()] == ["new"]
    assert attempts == 2  # the failed try still counts: its retry budget was not reset
