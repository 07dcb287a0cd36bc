"""A story alerted per story (by the release before events, or by a rule that alerted per
story until a reload made it alert per event) is not announced again as a "New story" when
an item joins it after: its growth edits the message the reader got, through the real
pipeline (local feeds, the Bot API stand-in, a webhook receiver)."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path

import aiosqlite
import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, TelegramStandIn, telegram_standin, webhook_receiver
from test_events_alerts import rss

from monitor.engine import Engine
from monitor.oneshot import poll_all
from monitor.store.migrations import MIGRATIONS
from monitor.store.sqlite import SqliteDb

FIRST = "Snowden calls for public oversight of US surveillance practices"
# Another story of the same event (``test_alert_rules_per_event``).
LATER = "NSA leaker Snowden says surveillance reform is not enough"
SAME = "Snowden calls for public oversight of US surveillance practices - Outlet B"
# The migrations of release 1aae572, the last before events (m009): per-story alerts only.
BEFORE_EVENTS = [m.__name__ for m in MIGRATIONS].index("m009_events")


def channels(tg_url: str, hook_url: str) -> str:
    return f"""
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


def rules(alert_on: str, *, story_rule: bool = False) -> str:
    text = f"""
[[rules]]
name = "snowden"
query = 'Snowden'
channels = ["desk", "hook"]
alert_on = "{alert_on}"
"""
    if story_rule:  # a rule that alerts per story beside it, on the same channels
        text += """
[[rules]]
name = "oversight"
query = 'oversight'
channels = ["desk", "hook"]
alert_on = "story"
"""
    return text


async def _old_release_database(path: Path, feed_url: str, tg: TelegramStandIn) -> None:
    """The store as release 1aae572 leaves it once it alerted FIRST (story 1) on both
    channels for the rule "snowden": its migrations, its rows, its payload; the Telegram
    chat holds that message (id 1)."""
    now = time.time() - 600
    payload = {  # 1aae572's dump_payload: the Alert's fields but id and channel, keys sorted
        "extra": {},
        "kind": "new",
        "outlets": ["Outlet A"],
        "published": None,
        "rule": "snowden",
        "severity": "normal",
        "snippet": FIRST,
        "story_id": 1,
        "terms": ["snowden"],
        "title": FIRST,
        "url": "http://a.example/1",
    }
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await db.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at REAL NOT NULL)"
        )
        for version, migration in enumerate(MIGRATIONS[:BEFORE_EVENTS], start=1):
            await migration(SqliteDb(db))
            await db.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, 0)", (version, migration.__name__)
            )
        await db.execute(
            "INSERT INTO feeds (id, url, title, created_at, last_checked, items_total)"
            " VALUES (1, ?, 'Outlet A', ?, ?, 1)",
            (feed_url, now, now),
        )
        await db.execute(
            "INSERT INTO stories (id, title, first_item_id, first_seen, last_seen, outlets)"
            " VALUES (1, ?, 1, ?, ?, 1)",
            (FIRST, now, now),
        )
        await db.execute(
            "INSERT INTO items (id, feed_id, key, guid, url, canonical_url, title, summary,"
            " published, first_seen, story_id, feed_name) VALUES (1, 1, 'http://a.example/1',"
            " 'http://a.example/1', 'http://a.example/1', 'http://a.example/1', ?, ?, ?, ?, 1,"
            " 'Outlet A')",
            (FIRST, FIRST, now, now),
        )
        await db.execute(
            "INSERT INTO matches (story_id, item_id, rule, terms, hits, snippet, created_at)"
            " VALUES (1, 1, 'snowden', '[\"snowden\"]', '[]', ?, ?)",
            (FIRST, now),
        )
        for channel, external in (("desk", "1"), ("hook", None)):
            await db.execute(
                "INSERT INTO alerts (channel, kind, story_id, rule, dedup_key, payload, status,"
                " attempts, next_attempt, external_id, created_at, sent_at) VALUES (?, 'new', 1,"
                " 'snowden', 'new:1:snowden', ?, 'sent', 1, ?, ?, ?, ?)",
                (channel, json.dumps(payload, sort_keys=True), now, external, now, now),
            )
    tg.messages[1] = f"New story: {FIRST}"
    tg._ids = itertools.count(2)


async def test_a_story_alerted_before_the_upgrade_is_edited_not_announced_again(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed_server.feed("/b", rss("Outlet B", [(SAME, "http://b.example/1")]))
    urls = [feed_server.url("/a"), feed_server.url("/b")]
    async with telegram_standin() as tg, webhook_receiver() as hook:
        await _old_release_database(tmp_path / "monitor.db", urls[0], tg)
        config = make_config(tmp_path, urls, extra=rules("event") + channels(tg.url, hook.url))
        engine = await Engine.open(config)  # migrates the old store
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    # The reader got the story before the upgrade: its message is edited (an outlet more),
    # no second "New story" on either channel.
    assert tg.sent == [], [m["text"][:80] for m in tg.sent]
    assert [e["message_id"] for e in tg.edits] == [1]
    assert "Outlet B" in tg.messages[1]
    kinds = [p["alert"]["kind"] for p in hook.payloads()]
    assert "new" not in kinds, kinds


@pytest.mark.parametrize("joins", ["the story", "its event"])
async def test_a_story_alerted_per_story_is_not_announced_again_once_its_rule_alerts_per_event(
    feed_server: FeedServer, tmp_path: Path, database: str, joins: str
) -> None:
    # The rule alerted per story; a reload makes it alert per event (the default); an item
    # joins the story it alerted: its message is edited, no "New story" of the event. An
    # item that is another story of its event is news the message never told: the event's
    # message goes out, as before.
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed_server.feed("/b", rss("Outlet B", []))
    urls = [feed_server.url("/a"), feed_server.url("/b")]
    async with telegram_standin() as tg, webhook_receiver() as hook:
        tail = channels(tg.url, hook.url)
        before = make_config(tmp_path, urls, extra=rules("story") + tail, database=database)
        engine = await Engine.open(before)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
        assert len(tg.sent) == 1
        later = SAME if joins == "the story" else LATER
        feed_server.feed("/b", rss("Outlet B", [(later, "http://b.example/1")]))
        after = make_config(tmp_path, urls, extra=rules("event") + tail, database=database)
        engine = await Engine.open(after)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    kinds = [p["alert"]["kind"] for p in hook.payloads()]
    if joins == "its event":
        assert len(tg.sent) == 2 and LATER in tg.sent[1]["text"], [m["text"] for m in tg.sent]
        assert kinds.count("new") == 2, kinds
        return
    assert len(tg.sent) == 1, [m["text"][:80] for m in tg.sent]
    assert [e["message_id"] for e in tg.edits] == [tg.sent[0]["message_id"]]
    assert "Outlet B" in tg.messages[tg.sent[0]["message_id"]]
    assert kinds.count("new") == 1, kinds


async def test_a_rule_per_story_beside_does_not_hold_back_the_event_rule(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    # Another rule's per-story alert of the story is that rule's message, not the event
    # rule's: the event rule's first message of the event still goes out (as before).
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    urls = [feed_server.url("/a")]
    async with telegram_standin() as tg, webhook_receiver() as hook:
        text = rules("event", story_rule=True) + channels(tg.url, hook.url)
        engine = await Engine.open(make_config(tmp_path, urls, extra=text, database=database))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    assert len(tg.sent) == 2, [m["text"][:80] for m in tg.sent]
