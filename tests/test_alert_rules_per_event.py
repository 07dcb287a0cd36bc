"""Two rules that match one event send one message per channel, naming both rules, through
the real pipeline (local feeds, the Bot API stand-in, a webhook receiver): not one message
per rule, each then edited on its own as the event grows."""

from __future__ import annotations

from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, telegram_standin, webhook_receiver
from test_events_alerts import rss

from monitor.engine import Engine
from monitor.oneshot import poll_all

FIRST = "Snowden calls for public oversight of US surveillance practices"
LATER = "NSA leaker Snowden says surveillance reform is not enough"


def config_text(tg_url: str, hook_url: str, second_query: str, burst: bool, alert_on: str) -> str:
    # A rule with a burst condition (never met here) queues its alerts one match at a time.
    burst_line = 'burst = { outlets = 5, within = "1h" }' if burst else ""
    return f"""
[[rules]]
name = "snowden-kw"
query = 'Snowden'
channels = ["desk", "hook"]
alert_on = "{alert_on}"

[[rules]]
name = "second"
query = '{second_query}'
channels = ["desk", "hook"]
alert_on = "{alert_on}"
{burst_line}

[channels.desk]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{tg_url}"
rate_limit = "off"
update_delay = "0s"

[channels.hook]
type = "webhook"
url = "{hook_url}"
update_delay = "0s"
"""


# The second rule's query, and when it first matches: with the first rule (the same poll),
# or only the event's later story (a poll after the first rule's message went out).
CASES = [
    ("oversight OR reform", "same poll", False, "event"),
    ("NSA", "later poll", False, "event"),
    ("NSA", "later poll, a rule with a burst", True, "event"),
    # Rules that alert per story: one message per story and channel all the same.
    ("oversight OR reform", "same poll, per story", False, "story"),
]


@pytest.mark.parametrize(
    ("second_query", "when", "burst", "alert_on"), CASES, ids=[c[1] for c in CASES]
)
async def test_one_message_per_event_and_channel_naming_the_rules(
    feed_server: FeedServer,
    tmp_path: Path,
    second_query: str,
    when: str,
    burst: bool,
    alert_on: str,
) -> None:
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed_server.feed("/b", rss("Outlet B", []))
    urls = [feed_server.url("/a"), feed_server.url("/b")]
    async with telegram_standin() as tg, webhook_receiver() as hook:
        config = make_config(
            tmp_path, urls, extra=config_text(tg.url, hook.url, second_query, burst, alert_on)
        )
        engine = await Engine.open(config)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/b", rss("Outlet B", [(LATER, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    # Per story, the later story is news of its own: a message of its own.
    messages = 2 if alert_on == "story" else 1
    assert len(tg.sent) == messages, [m["text"][:80] for m in tg.sent]
    new = [p for p in hook.payloads() if p["alert"]["kind"] == "new"]
    assert len(new) == messages, [p["text"][:80] for p in new]
    if when.startswith("same poll"):
        assert "snowden-kw" in tg.sent[0]["text"] and "second" in tg.sent[0]["text"]
        assert "Rules: snowden-kw, second" in new[0]["text"]


async def test_a_later_rule_no_more_urgent_is_named_by_the_update_it_causes(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    # The event's message went out for "snowden-kw" (high); "second" (normal) first matches
    # the event's later story: no message of its own, but the update for that new angle
    # says which rule brought it, on the edited message and the webhook's update alike.
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed_server.feed("/b", rss("Outlet B", []))
    urls = [feed_server.url("/a"), feed_server.url("/b")]
    async with telegram_standin() as tg, webhook_receiver() as hook:
        text = config_text(tg.url, hook.url, "NSA", False, "event").replace(
            "alert_on = \"event\"\n\n[[rules]]", 'alert_on = "event"\nseverity = "high"\n\n[[rules]]'
        )
        engine = await Engine.open(make_config(tmp_path, urls, extra=text, database=database))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/b", rss("Outlet B", [(LATER, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    told = [(p["alert"]["kind"], p["alert"]["extra"].get("rules", "")) for p in hook.payloads()]
    assert told == [("new", ""), ("update", "snowden-kw, second")]
    assert "Rules: snowden-kw, second" in hook.payloads()[1]["text"]
    assert len(tg.sent) == 1 and "second" not in tg.sent[0]["text"]
    assert tg.edits and "second" in tg.edits[-1]["text"]


async def test_a_later_rule_stays_named_when_its_waiting_update_is_refreshed(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    # The update naming "second" waits out update_delay; the event grows again (an outlet
    # more) before it goes: the update refreshed with that growth still names "second".
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed_server.feed("/b", rss("Outlet B", []))
    feed_server.feed("/c", rss("Outlet C", []))
    urls = [feed_server.url("/a"), feed_server.url("/b"), feed_server.url("/c")]
    async with telegram_standin() as tg, webhook_receiver() as hook:
        text = config_text(tg.url, hook.url, "NSA", False, "event")
        text = text.replace('update_delay = "0s"', 'update_delay = "1h"')
        engine = await Engine.open(make_config(tmp_path, urls, extra=text, database=database))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/b", rss("Outlet B", [(LATER, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)  # the update naming "second" waits
            feed_server.feed("/c", rss("Outlet C", [(FIRST, "http://c.example/1")]))
            await poll_all(engine.rt, progress=False)  # ... and is refreshed: an outlet more
            assert await engine.drain(20, updates=True)
        finally:
            await engine.close()
    told = [(p["alert"]["kind"], p["alert"]["extra"].get("rules", "")) for p in hook.payloads()]
    assert told == [("new", ""), ("update", "snowden-kw, second")]
    assert "Outlet C" in hook.payloads()[1]["text"]
    assert len(tg.edits) == 1 and "second" in tg.edits[0]["text"]


def _high_first(tg_url: str, hook_url: str, delay: str = "0s") -> str:
    """The second rule first matches later, no more urgent than the first ("high")."""
    text = config_text(tg_url, hook_url, "NSA", False, "event").replace(
        'alert_on = "event"\n\n[[rules]]', 'alert_on = "event"\nseverity = "high"\n\n[[rules]]'
    )
    return text.replace('update_delay = "0s"', f'update_delay = "{delay}"')


async def test_an_edited_message_keeps_naming_the_later_rule_at_the_next_growth(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    # The Telegram message is one message, edited, and each edit replaces all of it: once
    # an edit named "second", the edit for an outlet more must not take "second" out again.
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed_server.feed("/b", rss("Outlet B", []))
    feed_server.feed("/c", rss("Outlet C", []))
    urls = [feed_server.url(p) for p in ("/a", "/b", "/c")]
    async with telegram_standin() as tg, webhook_receiver() as hook:
        text = _high_first(tg.url, hook.url)
        engine = await Engine.open(make_config(tmp_path, urls, extra=text, database=database))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/b", rss("Outlet B", [(LATER, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            assert "second" in tg.edits[-1]["text"]
            edits = len(tg.edits)
            feed_server.feed("/c", rss("Outlet C", [(FIRST, "http://c.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    assert len(tg.edits) > edits, "no edit for the outlet more"
    assert "Outlet C" in tg.edits[-1]["text"]
    assert "snowden-kw, second" in tg.edits[-1]["text"], tg.edits[-1]["text"]


async def test_a_rule_removed_by_a_reload_is_not_named_by_the_update_that_waits(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    # README: "A reload or a restart that removes a rule takes it out of the messages that
    # still wait". The update naming "second" waits out update_delay; a reload removes it.
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed_server.feed("/b", rss("Outlet B", []))
    urls = [feed_server.url("/a"), feed_server.url("/b")]
    async with telegram_standin() as tg, webhook_receiver() as hook:
        text = _high_first(tg.url, hook.url, "1h")
        engine = await Engine.open(make_config(tmp_path, urls, extra=text, database=database))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/b", rss("Outlet B", [(LATER, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)  # the update naming "second" waits
            start = text.index('[[rules]]\nname = "second"')
            without = text[:start] + text[text.index("[channels.desk]") :]
            await engine.reload(make_config(tmp_path, urls, extra=without, database=database))
            assert await engine.drain(20, updates=True)
        finally:
            await engine.close()
    told = [(p["alert"]["kind"], p["alert"]["extra"].get("rules", "")) for p in hook.payloads()]
    assert told == [("new", ""), ("update", "")]
    update = hook.payloads()[1]
    assert update["alert"]["severity"] == "high"  # the message's, not re-decided
    assert "second" not in update["text"] and "second" not in tg.edits[-1]["text"]


async def test_a_more_urgent_rules_own_message_names_the_other_rules_of_the_growth(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    # The event's message went out for "snowden-kw" (normal). Its later story matches that
    # rule and "second" (high): "second" sends a message of its own (more urgent than the one
    # sent), which names "snowden-kw" too: the reader sees every rule that matched it; and it
    # is the only message of that angle on each channel: the first message's update of it is
    # dropped once the urgent one is sent (``tests/test_alert_urgent_told.py``).
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed_server.feed("/b", rss("Outlet B", []))
    urls = [feed_server.url("/a"), feed_server.url("/b")]
    async with telegram_standin() as tg, webhook_receiver() as hook:
        text = config_text(tg.url, hook.url, "NSA", False, "event").replace(
            'name = "second"\n', 'name = "second"\nseverity = "high"\n'
        )
        engine = await Engine.open(make_config(tmp_path, urls, extra=text, database=database))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/b", rss("Outlet B", [(LATER, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20, updates=True)
        finally:
            await engine.close()
    new = [
        (p["alert"]["severity"], p["alert"]["extra"].get("rules", ""))
        for p in hook.payloads()
        if p["alert"]["kind"] == "new"
    ]
    assert new == [("normal", ""), ("high", "second, snowden-kw")]
    assert len(tg.sent) == 2 and LATER in tg.sent[1]["text"]
    assert "snowden-kw" in tg.sent[1]["text"] and "second" in tg.sent[1]["text"]
    assert [p["alert"]["kind"] for p in hook.payloads()] == ["new", "new"]
    assert not any(LATER in e["text"] for e in tg.edits if int(e["message_id"]) == 1)
