"""A second rule's match of an event that has an alert on the channel already is never
lost: folded into the alert that waits (named, at the higher severity, so that an urgent
rule gets through quiet hours), sent on its own where it is more urgent than the one sent,
and sent where the first alert failed. Through the real pipeline, on both backends."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import webhook_receiver
from test_events_alerts import rss

from monitor.engine import Engine
from monitor.models import Alert
from monitor.oneshot import poll_all
from monitor.store import event_alerts
from monitor.store.db import Db

FIRST = "Snowden calls for public oversight of US surveillance practices"
LATER = "NSA leaker Snowden says surveillance reform is not enough"


def quiet_now() -> str:
    """Quiet hours (UTC) from two hours before now to two after: the test is inside them."""
    hour = time.gmtime().tm_hour
    return f"{(hour - 2) % 24:02d}:00-{(hour + 3) % 24:02d}:00"


def config_text(hook_url: str, *, second: str, burst: bool, quiet: bool) -> str:
    burst_line = 'burst = { outlets = 5, within = "1h" }' if burst else ""
    quiet_line = f'quiet_hours = "{quiet_now()}"' if quiet else ""
    return f"""
[[rules]]
name = "a-normal"
query = 'Snowden'
channels = ["hook"]

[[rules]]
name = "b-urgent"
query = '{second}'
severity = "urgent"
channels = ["hook"]
{burst_line}

[channels.hook]
type = "webhook"
url = "{hook_url}"
timezone = "UTC"
{quiet_line}
quiet_override = "urgent"
update_delay = "0s"
"""


# (case, the urgent rule's query, burst condition, quiet hours, first alert failed,
#  the "new" messages the reader gets: (rule, severity, rules named)).
CASES = [
    # The first alert waits out quiet hours; the urgent match later takes it through, and
    # it names both rules.
    ("waits, urgent later", "NSA", False, True, False,
     [("a-normal", "urgent", "a-normal, b-urgent")]),
    # Both match in one poll, the urgent one with a burst condition: named, urgent.
    ("same poll, burst rule", "surveillance", True, True, False,
     [("a-normal", "urgent", "a-normal, b-urgent")]),
    # The first alert went out; the urgent match is not only an update at its severity. Its
    # message also names the rule of the sent one, which matched the same growth.
    ("sent, urgent later", "NSA", False, False, False,
     [("a-normal", "normal", ""), ("b-urgent", "urgent", "b-urgent, a-normal")]),
    # The first alert failed (the reader never got it): the later match still alerts.
    ("failed, later match", "NSA", False, False, True, [("b-urgent", "urgent", "")]),
]


@pytest.mark.parametrize(
    ("second", "burst", "quiet", "failed", "expected"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
async def test_second_rule_of_an_event_is_not_lost(
    feed_server: FeedServer,
    tmp_path: Path,
    database: str,
    second: str,
    burst: bool,
    quiet: bool,
    failed: bool,
    expected: list[tuple[str, str, str]],
) -> None:
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed_server.feed("/b", rss("Outlet B", []))
    urls = [feed_server.url("/a"), feed_server.url("/b")]
    async with webhook_receiver() as hook:
        text = config_text(hook.url, second=second, burst=burst, quiet=quiet)
        engine = await Engine.open(make_config(tmp_path, urls, extra=text, database=database))
        try:
            await poll_all(engine.rt, progress=False)
            if failed:  # the channel was down till the alert expired
                async with engine.rt.store.transaction() as db:
                    await db.execute("UPDATE alerts SET status = 'failed', last_error = 'down'")
            else:
                await engine.drain(5)
            feed_server.feed("/b", rss("Outlet B", [(LATER, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)
            await engine.drain(5)
        finally:
            await engine.close()
    new: list[dict[str, Any]] = [p["alert"] for p in hook.payloads() if p["alert"]["kind"] == "new"]
    got = [(a["rule"], a["severity"], a["extra"].get("rules", "")) for a in new]
    assert got == expected


async def test_a_match_whose_waiting_alert_expired_meanwhile_is_not_lost(
    feed_server: FeedServer, tmp_path: Path, database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first alert waits out quiet hours; as the second rule's match is folded into it, the
    # expiry sweep (or a permanent failure) gets there first: the reader got nothing, so the
    # match must wait as an alert of its own, not be taken for told.
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed_server.feed("/b", rss("Outlet B", []))
    urls = [feed_server.url("/a"), feed_server.url("/b")]
    fold = event_alerts.fold

    async def expired_first(db: Db, held: Alert, **kw: Any) -> bool:
        await db.execute("UPDATE alerts SET status = 'expired' WHERE id = ?", (held.id,))
        return await fold(db, held, **kw)

    monkeypatch.setattr(event_alerts, "fold", expired_first)
    async with webhook_receiver() as hook:
        text = config_text(hook.url, second="NSA", burst=False, quiet=True)
        text = text.replace('severity = "urgent"', 'severity = "normal"')
        engine = await Engine.open(make_config(tmp_path, urls, extra=text, database=database))
        try:
            await poll_all(engine.rt, progress=False)
            feed_server.feed("/b", rss("Outlet B", [(LATER, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)
            async with engine.rt.store.transaction() as db:
                rows = await db.fetch_all("SELECT status FROM alerts WHERE kind = 'new'")
        finally:
            await engine.close()
    assert sorted(str(r[0]) for r in rows) == ["expired", "pending"]
