"""The rules of an alert that waits follow the config across a restart, as across a reload:
a rule made urgent while no monitor ran breaks through quiet hours on its next match, and a
rule removed is no longer named (review13a; both failed before)."""

from __future__ import annotations

import json
from pathlib import Path

from feedserver import FeedServer
from helpers import make_config
from standins import webhook_receiver
from test_alert_fold_races import config_text, told
from test_alert_rules_fold import FIRST, LATER, quiet_now
from test_events_alerts import rss

from monitor.engine import Engine
from monitor.oneshot import poll_all


def text(hook_url: str, second: str) -> str:
    return f"""
[[rules]]
name = "first"
query = 'Snowden'
channels = ["hook"]

[[rules]]
name = "second"
query = 'NSA'
severity = "{second}"
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{hook_url}"
timezone = "UTC"
quiet_hours = "{quiet_now()}"
quiet_override = "urgent"
update_delay = "0s"
"""


async def test_rule_made_urgent_across_a_restart_still_breaks_quiet_hours(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed_server.feed("/b", rss("Outlet B", []))
    feed_server.feed("/c", rss("Outlet C", []))
    urls = [feed_server.url(p) for p in ("/a", "/b", "/c")]
    async with webhook_receiver() as hook:
        engine = await Engine.open(
            make_config(tmp_path, urls, extra=text(hook.url, "normal"), database=database))
        try:
            await poll_all(engine.rt, progress=False)  # "first" waits out quiet hours
            feed_server.feed("/b", rss("Outlet B", [(LATER, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)  # "second" (normal) folded in
            await engine.drain(3)
            rows = await engine.store.db.fetch_all("SELECT payload FROM alerts WHERE kind='new'")
            assert [json.loads(r[0])["extra"]["rules"] for r in rows] == ["first, second"]
        finally:
            await engine.close()
        assert hook.payloads() == []  # quiet hours
        # Restart with "second" made urgent; another outlet carries its headline.
        engine = await Engine.open(
            make_config(tmp_path, urls, extra=text(hook.url, "urgent"), database=database))
        try:
            feed_server.feed("/c", rss("Outlet C", [(LATER, "http://c.example/1")]))
            await poll_all(engine.rt, progress=False)
            await engine.drain(5)
        finally:
            await engine.close()
    got = [(a["kind"], a["severity"], a["extra"].get("rules", ""))
           for a in (p["alert"] for p in hook.payloads())]
    assert got == [("new", "urgent", "first, second")]


async def test_a_restart_takes_a_removed_rule_out_of_the_alert_that_waits(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed_server.feed("/b", rss("Outlet B", []))
    urls = [feed_server.url("/a"), feed_server.url("/b")]
    async with webhook_receiver() as hook:
        text = config_text(hook.url, urls[1], second="urgent", quiet=True)
        engine = await Engine.open(make_config(tmp_path, urls, extra=text, database=database))
        try:
            await poll_all(engine.rt, progress=False)  # "first" waits out quiet hours
            feed_server.feed("/b", rss("Outlet B", [(FIRST, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)  # "second" (urgent) folded in, not sent
        finally:
            await engine.close()
        # Restart with "second" removed (and no quiet hours).
        text = config_text(hook.url, urls[1], second=None, quiet=False)
        engine = await Engine.open(make_config(tmp_path, urls, extra=text, database=database))
        try:
            await engine.drain(5)
        finally:
            await engine.close()
    assert told(hook.payloads()) == [("new", "first", "normal", "")]
