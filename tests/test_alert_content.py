"""What an alert says, through the real pipeline (local feed, webhook receiver, SMTP
stand-in): the item's own headline without its wire tag, its link and outlet first, its
lede (not the headline again), its publication time, and the words that fired as written."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import (
    BOT_TOKEN,
    CHAT_ID,
    smtp_standin,
    telegram_standin,
    webhook_receiver,
)

from monitor import outbox
from monitor.engine import Engine
from monitor.match.config import RuleConfig
from monitor.models import Match, Story, TermHit
from monitor.oneshot import poll_all
from monitor.pipeline import refresh_feed
from monitor.store.alerts import payloads

LEDE = (
    "The Kremlin said on Friday that Vladimir Putin had invited Volodymyr Zelensky to Moscow. "
    "Kyiv has not yet answered the invitation, officials said."
)
CASES = [
    # (headline as the feed wrote it, summary, headline shown, snippet shown)
    ("UPDATE 2-Putin invites Zelensky to Moscow for talks", LEDE,
     "Putin invites Zelensky to Moscow for talks", LEDE),
    ("Putin invites Zelensky to Moscow for talks - Reuters",
     "Putin invites Zelensky to Moscow for talks",  # the summary repeats the headline
     "Putin invites Zelensky to Moscow for talks", ""),
]  # fmt: skip


def rss(title: str, summary: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
        "<link>http://example.org/</link><item><title>" + title + "</title>"
        "<link>http://wire.example/talks</link><guid>http://wire.example/talks</guid>"
        f"<description>{summary}</description>"
        "<pubDate>Fri, 05 Sep 2025 14:03:00 GMT</pubDate></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize(("title", "summary", "shown", "snippet"), CASES)
async def test_the_alert_shows_the_item_that_raised_it(
    feed_server: FeedServer, tmp_path: Path, title: str, summary: str, shown: str, snippet: str
) -> None:
    feed_server.feed("/wire", rss(title, summary))
    async with webhook_receiver() as hook, smtp_standin() as smtp:
        extra = f"""
[[entities]]
name = "Volodymyr Zelensky"
aliases = ["Zelensky"]

[[rules]]
name = "talks"
query = '@"Volodymyr Zelensky" AND talks'
channels = ["hook", "mail"]

[channels.hook]
type = "webhook"
url = "{hook.url}"

[channels.mail]
type = "email"
host = "127.0.0.1"
port = {smtp.port}
security = "none"
sender = "monitor@example.org"
recipients = ["desk@example.org"]
"""
        config = make_config(tmp_path, [feed_server.url("/wire")], extra=extra)
        engine = await Engine.open(config)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    (payload,) = hook.payloads()
    alert = payload["alert"]
    assert alert["kind"] == "new" and alert["event_id"] is not None
    assert alert["title"] == shown
    assert alert["snippet"] == snippet
    assert alert["url"] == "http://wire.example/talks"
    assert alert["outlets"][0] == "Wire"
    assert alert["published"].startswith("2025-09-05T14:03")
    assert alert["terms"] == ["Zelensky", "talks"]  # as written, not '@"Volodymyr Zelensky"'
    (mail,) = smtp.received
    assert "UPDATE" not in mail["Subject"] and shown in mail["Subject"]
    parts = {p.get_content_type(): p.get_content() for p in mail.iter_parts()}
    for part in parts.values():
        assert "Published 5 Sep 2025, 14:03 UTC" in part
        assert "Zelensky, talks" in part or "<em>Zelensky</em>, <em>talks</em>" in part
        if snippet:
            assert "Kyiv has not yet answered" in part
    assert 'style="' in parts["text/html"]
    assert parts["text/plain"].count(shown) == 1  # the headline once, not again as snippet


def outlet_rss(outlet: str, summary: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{outlet}</title><link>http://example.org/</link><item>"
        "<title>Putin invites Zelensky to Moscow</title>"
        f"<link>http://{outlet.lower()}.example/moscow</link>"
        f"<guid>http://{outlet.lower()}.example/moscow</guid><description>{summary}</description>"
        "<pubDate>Fri, 05 Sep 2025 14:03:00 GMT</pubDate></item></channel></rss>"
    ).encode()


async def test_an_alert_raised_by_an_outlet_that_joins_a_story_names_every_outlet(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # Wire's item matches no rule; Herald's, a poll later, joins its story and matches: the
    # alert shows Herald first, then Wire, which carried the story before.
    feed_server.feed("/wire", outlet_rss("Wire", "The Kremlin sent an invitation."))
    feed_server.feed(
        "/herald", b'<rss version="2.0"><channel><title>Herald</title></channel></rss>'
    )
    async with webhook_receiver() as hook:
        extra = f"""
[[rules]]
name = "talks"
query = 'Zelensky AND talks'
alert_on = "story"
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{hook.url}"
"""
        config = make_config(
            tmp_path, [feed_server.url("/wire"), feed_server.url("/herald")], extra=extra
        )
        engine = await Engine.open(config)
        try:
            await poll_all(engine.rt, progress=False)
            feed_server.feed("/herald", outlet_rss("Herald", "An invitation to talks in Moscow."))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    (payload,) = hook.payloads()
    assert payload["alert"]["outlets"] == ["Herald", "Wire"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize("sent_first", [True, False])
async def test_a_story_that_grows_by_an_item_that_matches_nothing_shows_its_new_outlet(
    feed_server: FeedServer,
    tmp_path: Path,
    backend: str,
    sent_first: bool,
    request: pytest.FixtureRequest,
) -> None:
    # Herald's item matches no rule, so nothing but the story's growth reads its outlets:
    # the alert, already sent (an update edits it) or still pending, must name Herald.
    # Telegram's default rate limit (20 a minute, evenly spaced) would hold the edit 3 s.
    db = str(tmp_path / "monitor.db") if backend == "sqlite" else request.getfixturevalue("pg_url")
    feed_server.feed("/wire", outlet_rss("Wire", "The Kremlin sent an invitation."))
    feed_server.feed("/herald", outlet_rss("Herald", "Moscow sent an invitation."))
    async with telegram_standin() as tg, webhook_receiver() as hook:
        extra = f"""
[[rules]]
name = "kremlin"
query = 'Zelensky AND Kremlin'
alert_on = "story"
channels = ["tg", "hook"]

[channels.tg]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{tg.url}"
update_delay = "0s"
rate_limit = "off"

[channels.hook]
type = "webhook"
url = "{hook.url}"
"""
        feeds = [feed_server.url("/wire"), feed_server.url("/herald")]
        config = make_config(tmp_path, feeds, extra=extra, database=db)
        engine = await Engine.open(config)
        try:
            await refresh_feed(engine.rt, config.feeds[0])
            if sent_first:
                assert await engine.drain(20, updates=True)
            await refresh_feed(engine.rt, config.feeds[1])
            assert await engine.drain(20, updates=True)
        finally:
            await engine.close()
    (message,) = tg.messages.values()
    assert "Wire — also reported by: Herald" in message, message
    if not sent_first:
        (payload,) = hook.payloads()
        assert payload["alert"]["outlets"] == ["Wire", "Herald"]


async def test_on_match_names_the_outlets_of_a_story_read_without_them(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    # A poll's stories come without their outlets' names (``stories.record``); a caller of
    # ``on_match`` that hands one over still queues an alert that names them.
    feed_server.feed("/wire", outlet_rss("Wire", "The Kremlin sent an invitation."))
    feed_server.feed("/herald", outlet_rss("Herald", "Moscow sent an invitation."))
    feeds = [feed_server.url("/wire"), feed_server.url("/herald")]
    config = make_config(tmp_path, feeds, database=database)
    rule = RuleConfig(name="talks", query="Zelensky AND talks", channels=["hook"])
    hits = (TermHit("Zelensky", "Zelensky", "title", 15, 23),)
    match = Match(rule.name, rule.severity, tuple(rule.channels), hits, "Zelensky talks")
    engine = await Engine.open(config)
    try:
        await poll_all(engine.rt, progress=False)
        async with engine.rt.store.transaction() as db:
            story_id, first_seen = await db.fetch_one("SELECT id, first_seen FROM stories")
            when = datetime.fromtimestamp(first_seen, UTC)
            bare = Story(story_id, "Putin invites Zelensky to Moscow", None, when, when, ())
            await outbox.on_match(db, story=bare, match=match, rule=rule, now=time.time())
            (payload,) = (await payloads(db)).values()
    finally:
        await engine.close()
    assert json.loads(payload)["outlets"] == ["Wire", "Herald"]


def oil_rss(outlet: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{outlet}</title><link>http://example.org/</link><item>"
        "<title>Oil prices fall sharply as OPEC output rises</title>"
        f"<link>http://{outlet.lower()}.example/oil</link>"
        f"<guid>http://{outlet.lower()}.example/oil</guid><description>Brent fell.</description>"
        "<pubDate>Fri, 05 Sep 2025 14:03:00 GMT</pubDate></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize("alert_on", ["story", "event"])
async def test_a_burst_alert_names_first_the_outlet_whose_headline_and_link_it_shows(
    feed_server: FeedServer, tmp_path: Path, alert_on: str
) -> None:
    # Daily, then Wire, then Post carry the story; Post's item raises the burst, which shows
    # its headline and link: Post comes first ("Post — also reported by: Daily, Wire").
    outlets = ["Daily", "Wire", "Post"]
    for outlet in outlets:
        feed_server.feed(f"/{outlet.lower()}", oil_rss(outlet))
    async with webhook_receiver() as hook:
        extra = f"""
[[rules]]
name = "oil"
query = 'OPEC AND output'
alert_on = "{alert_on}"
channels = ["hook"]
burst = {{ outlets = 3, within = "6h" }}

[channels.hook]
type = "webhook"
url = "{hook.url}"
"""
        feeds = [feed_server.url(f"/{outlet.lower()}") for outlet in outlets]
        config = make_config(tmp_path, feeds, extra=extra)
        engine = await Engine.open(config)
        try:
            for feed in config.feeds:
                await refresh_feed(engine.rt, feed)
                assert await engine.drain(20, updates=True)
        finally:
            await engine.close()
    (burst,) = [p["alert"] for p in hook.payloads() if p["alert"]["kind"] == "burst"]
    assert burst["url"] == "http://post.example/oil"
    assert burst["outlets"] == ["Post", "Daily", "Wire"]
