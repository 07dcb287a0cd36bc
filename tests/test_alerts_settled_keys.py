"""A poll whose first match of a rule is of a story (event) alerted already, and whose later
match of the same rule is of another story (event): the later one still gets its own alert.
A poll settles a key that queues nothing once (Stages._queue_new) by story or event and rule,
never by rule alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import webhook_receiver
from test_events_alerts import rss

from monitor.engine import Engine
from monitor.oneshot import poll_all

FIRST = "Snowden calls for public oversight of US surveillance practices"
OTHER = "Moscow court extends asylum of whistleblower Snowden for three more years"


def config_text(hook_url: str, alert_on: str) -> str:
    return f"""
[[rules]]
name = "snowden-kw"
query = 'Snowden'
channels = ["hook"]
alert_on = "{alert_on}"

[channels.hook]
type = "webhook"
url = "{hook_url}"
update_delay = "0s"
"""


@pytest.mark.parametrize("alert_on", ["story", "event"])
async def test_a_match_after_a_settled_one_of_the_same_rule_still_alerts(
    feed_server: FeedServer, tmp_path: Path, alert_on: str, database: str
) -> None:
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed_server.feed("/b", rss("Outlet B", []))
    urls = [feed_server.url("/a"), feed_server.url("/b")]
    async with webhook_receiver() as hook:
        engine = await Engine.open(
            make_config(tmp_path, urls, extra=config_text(hook.url, alert_on), database=database)
        )
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            # One poll of outlet B: the first story again (its alert sent: settled), then
            # another story (another event) of the same rule.
            # Per story: a second item of the first story in the same poll (its key queued
            # by the first match: settled at the second), then the other story.
            again = [(FIRST + ", again", "http://b.example/3")] if alert_on == "story" else []
            feed_server.feed(
                "/b",
                rss(
                    "Outlet B",
                    [(FIRST, "http://b.example/1"), *again, (OTHER, "http://b.example/2")],
                ),
            )
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    new = [p["alert"]["title"] for p in hook.payloads() if p["alert"]["kind"] == "new"]
    assert new == [FIRST, OTHER], new
