"""A second rule's match folded into an event's alert (one message per event and channel,
naming every rule) is not lost to what happens to that alert meanwhile: the message going
out as it is folded, the worker holding it for quiet hours on what it read before, a reload
that removes or downgrades the rule. Through the real pipeline (local feeds, a webhook
receiver), on both backends."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from feedserver import FeedServer
from helpers import make_config
from standins import serve_app, webhook_receiver
from test_alert_rules_fold import FIRST, quiet_now
from test_events_alerts import rss

from monitor.engine import Engine
from monitor.oneshot import poll_all
from monitor.store import alerts as alert_rows
from monitor.store.db import Db


def config_text(hook_url: str, b_feed: str, *, second: str | None, quiet: bool) -> str:
    """Rule "first" matches the story anywhere; rule "second" (at severity ``second``; None:
    no such rule) only in feed B, which later carries the same headline: an outlet more, no
    new angle, so nothing but the second rule's match is news."""
    rule = f"""
[[rules]]
name = "second"
query = 'Snowden'
feeds = ["{b_feed}"]
severity = "{second}"
channels = ["hook"]
"""
    quiet_line = f'quiet_hours = "{quiet_now()}"' if quiet else ""
    return f"""
[[rules]]
name = "first"
query = 'Snowden'
channels = ["hook"]
{rule if second else ""}
[channels.hook]
type = "webhook"
url = "{hook_url}"
timezone = "UTC"
{quiet_line}
quiet_override = "urgent"
update_delay = "0s"
"""


@dataclass
class GatedHook:
    """A webhook receiver that holds each request until ``release`` is set: a message
    in flight for as long as the test wants."""

    url: str = ""
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    payloads: list[dict[str, Any]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.payloads.append(await request.json())
        self.arrived.set()
        await self.release.wait()
        return web.json_response({"ok": True})


@asynccontextmanager
async def gated_hook() -> AsyncIterator[GatedHook]:
    hook = GatedHook()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    async with serve_app(app) as url:
        hook.url = url + "/hook"
        yield hook


def told(payloads: list[dict[str, Any]]) -> list[tuple[str, str | None, str, str]]:
    """What the reader got: each message's kind, rule, severity and the rules it names."""
    return [
        (a["kind"], a["rule"], a["severity"], a["extra"].get("rules", ""))
        for a in (p["alert"] for p in payloads)
    ]


# (the second rule's severity, what the reader gets after the first message)
IN_FLIGHT = [
    # More urgent than what went out: a message of its own, as per_event sends one.
    ("urgent", [("new", "second", "urgent", "")]),
    # Not more urgent: the update of the message, naming both rules.
    ("normal", [("update", "first", "normal", "first, second")]),
]


@pytest.mark.parametrize(("second", "after"), IN_FLIGHT, ids=["urgent", "normal"])
async def test_a_rule_folded_while_its_message_goes_out_is_not_lost(
    feed_server: FeedServer,
    tmp_path: Path,
    database: str,
    second: str,
    after: list[tuple[str, str, str, str]],
) -> None:
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed_server.feed("/b", rss("Outlet B", []))
    urls = [feed_server.url("/a"), feed_server.url("/b")]
    async with gated_hook() as hook:
        text = config_text(hook.url, urls[1], second=second, quiet=False)
        engine = await Engine.open(make_config(tmp_path, urls, extra=text, database=database))
        try:
            await poll_all(engine.rt, progress=False)
            sending = asyncio.create_task(engine.drain(10))
            await asyncio.wait_for(hook.arrived.wait(), 10)  # the first message is out
            feed_server.feed("/b", rss("Outlet B", [(FIRST, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)  # "second" folded into it
            hook.release.set()
            await sending
            await engine.drain(5)
        finally:
            hook.release.set()
            await engine.close()
    assert told(hook.payloads) == [("new", "first", "normal", ""), *after]


async def test_an_alert_made_urgent_is_not_held_for_quiet_hours_on_what_it_was(
    feed_server: FeedServer, tmp_path: Path, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The worker reads the first rule's alert (normal: it waits out quiet hours); before it
    # holds it, the urgent rule's match is folded in, which makes it due now. Held on what the
    # worker read, it would wait till morning.
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed_server.feed("/b", rss("Outlet B", []))
    urls = [feed_server.url("/a"), feed_server.url("/b")]
    due = alert_rows.due
    async with webhook_receiver() as hook:
        text = config_text(hook.url, urls[1], second="urgent", quiet=True)
        engine = await Engine.open(make_config(tmp_path, urls, extra=text, database=database))
        try:
            await poll_all(engine.rt, progress=False)
            async with engine.rt.store.transaction() as db:
                read = await due(db, "hook", time.time(), 100)  # as the worker reads it
            feed_server.feed("/b", rss("Outlet B", [(FIRST, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)

            async def read_before(db: Db, *args: Any) -> list[alert_rows.Due]:
                monkeypatch.setattr(alert_rows, "due", due)
                return read

            monkeypatch.setattr(alert_rows, "due", read_before)
            await engine.drain(5)
        finally:
            await engine.close()
    assert told(hook.payloads()) == [("new", "first", "urgent", "first, second")]


# (the second rule after the reload: its severity, None: removed; what the reader gets)
RELOADS = [
    (None, [("new", "first", "normal", "")]),
    ("normal", [("new", "first", "normal", "first, second")]),
]


@pytest.mark.parametrize(("reloaded", "expected"), RELOADS, ids=["removed", "downgraded"])
async def test_a_reload_takes_a_rule_out_of_the_alert_that_waits(
    feed_server: FeedServer,
    tmp_path: Path,
    database: str,
    reloaded: str | None,
    expected: list[tuple[str, str, str, str]],
) -> None:
    # The urgent rule's match is folded into the alert that waits out quiet hours; the rule is
    # then removed (or made normal) and quiet hours dropped: the message no longer speaks for it.
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed_server.feed("/b", rss("Outlet B", [(FIRST, "http://b.example/1")]))
    urls = [feed_server.url("/a"), feed_server.url("/b")]
    async with webhook_receiver() as hook:
        text = config_text(hook.url, urls[1], second="urgent", quiet=True)
        engine = await Engine.open(make_config(tmp_path, urls[:1], extra=text, database=database))
        try:
            await poll_all(engine.rt, progress=False)  # the first rule's alert waits
            config = make_config(tmp_path, urls, extra=text, database=database)
            await engine.reload(config)
            await poll_all(engine.rt, progress=False)  # feed B: the second rule folded in
            text = config_text(hook.url, urls[1], second=reloaded, quiet=False)
            await engine.reload(make_config(tmp_path, urls, extra=text, database=database))
            await engine.drain(5)
        finally:
            await engine.close()
    assert told(hook.payloads()) == expected
