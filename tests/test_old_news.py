"""Old news is not news: an item published more than ``[monitor] max_age`` before monitor
first sees it (a new feed's archive, an item retention pruned that the feed still lists) is
stored as seen, without story or alert; an undated item is news, and its alerts say when it
was first seen, not that it was published then.

Real parts: a local feed server with a real feed (the Guardian's, dated 29-31 Jan 2018), the
pipeline, the store, and the channels delivering to local stand-ins; only the clock is mocked.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import shared
from feedserver import FeedServer
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, smtp_standin, telegram_standin, webhook_receiver

from monitor.cli.status import collect, render
from monitor.config import ConfigError, loads
from monitor.engine import Engine
from monitor.pipeline import refresh_feed
from monitor.retention import prune

# make_config(retention=...) keeps [monitor] max_age at its default, 3d (tests/helpers.py).
# The Guardian's feed as fetched: 55 items, 48 of them published on 31 Jan 2018.
NIGHT = datetime(2018, 1, 31, 22, 0, tzinfo=UTC).timestamp()
DAY = 86400.0


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def guardian() -> bytes:
    return shared("real-feeds", "guardian.rss").read_bytes()


NONE_LISTED = (
    b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>The Guardian'
    b"</title><link>https://www.theguardian.com/</link></channel></rss>"
)


def hook_rules(url: str) -> str:
    return f"""
[[rules]]
name = "trump"
query = "Trump"
alert_on = "story"
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{url}"
storm_limit = 0
"""


def published(payload: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(payload["alert"]["published"])


async def test_items_retention_pruned_that_the_feed_still_lists_are_not_alerted_again(
    feed_server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The user trial's repro: the feed lists again items retention pruned; they are new
    again to the store, and were alerted a second time. (Retention keeps what a feed still
    lists: here it stopped listing them for a while.)"""
    feed_server.feed("/guardian", guardian())
    clock = Clock(NIGHT)
    async with webhook_receiver() as hook:
        config = make_config(
            tmp_path, [feed_server.url("/guardian")], hook_rules(hook.url), retention="4d"
        )
        engine = await Engine.open(config, clock=clock)
        try:
            first = await refresh_feed(engine.rt, config.feeds[0])
            assert first.result == "new", first.error
            assert await engine.drain(20)
            alerted = len(hook.payloads())
            assert alerted > 5  # the feed's Trump stories of the last days
            feed_server.feed("/guardian", NONE_LISTED)  # a publisher's glitch, two days on
            clock.now += 2 * DAY
            assert (await refresh_feed(engine.rt, config.feeds[0])).result == "new"
            clock.now += 3 * DAY  # past retention: the daemon prunes every item
            pruned = await prune(engine.store, clock.now - config.monitor.retention)
            assert pruned.items == 55
            engine.rt.stages.invalidate()  # as the daemon's retention pass does
            # The feed still lists them, and its body changed (as real feeds' bodies do).
            feed_server.feed("/guardian", guardian().replace(b"<title>Trump", b"<title>Trump "))
            caplog.clear()
            with caplog.at_level(logging.DEBUG, logger="monitor.pipeline"):
                second = await refresh_feed(engine.rt, config.feeds[0])
            assert second.result == "new", second.error
            assert await engine.drain(20)
            assert len(hook.payloads()) == alerted  # no second alert
            db = engine.store.db
            relisted = await db.fetch_all("SELECT story_id FROM items")
            assert len(relisted) == 55 and all(r[0] is None for r in relisted)  # no stories
            said = [r.getMessage() for r in caplog.records if "stored as seen" in r.getMessage()]
            assert said == ["55 items published more than 3d ago: stored as seen, not news"]
            # and a later poll (the body changed again) still takes none of them for news
            feed_server.feed("/guardian", guardian().replace(b"<title>Trump", b"<title>Trump  "))
            clock.now += 600
            assert (await refresh_feed(engine.rt, config.feeds[0])).new_items == 0
            assert await engine.drain(20)
            assert len(hook.payloads()) == alerted
        finally:
            await engine.close()
    report = await collect(config)
    assert report["feeds"][0]["last_old"] == 55
    assert "55 items published more than 3d ago: stored as seen, not news" in render(report)


async def test_a_new_feeds_archive_is_not_alerted_only_its_recent_items(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # The same feed, its items of 29 and 30 Jan written as published years before.
    old = re.sub(rb"(<pubDate>\w{3}, (29|30) Jan) 2018", rb"\1 2015", guardian())
    assert old.count(b" 2015 ") == 7
    feed_server.feed("/guardian", old)
    async with webhook_receiver() as hook:
        config = make_config(
            tmp_path, [feed_server.url("/guardian")], hook_rules(hook.url), retention="30d"
        )
        engine = await Engine.open(config, clock=Clock(NIGHT))
        try:
            poll = await refresh_feed(engine.rt, config.feeds[0])
            assert poll.result == "new", poll.error
            assert await engine.drain(20)
            stories = await engine.store.db.fetch_all("SELECT count(*) FROM stories")
        finally:
            await engine.close()
    alerts = hook.payloads()
    assert alerts and all(published(p).date().isoformat() == "2018-01-31" for p in alerts)
    assert 0 < stories[0][0] <= 48  # only today's items make stories
    assert not any("2015" in p["alert"]["published"] for p in alerts)


def undated_feed() -> bytes:
    """An item with no date, one with a date the parser cannot read (UOL's Portuguese one),
    one dated with a zero timestamp."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>UOL</title>'
        "<link>https://noticias.uol.example/</link>"
        "<item><title>Trump fala na ONU sobre comércio</title>"
        "<link>https://noticias.uol.example/onu</link></item>"
        "<item><title>Trump recebe Bolsonaro em Washington</title>"
        "<link>https://noticias.uol.example/visita</link>"
        "<pubDate>Seg, 24 Set 2018 10:00:00 -0300</pubDate></item>"
        # A zero timestamp is a feed's "no date" (explore12: alerted "Published 1 Jan 1970").
        "<item><title>Trump anuncia tarifas sobre o aço</title>"
        "<link>https://noticias.uol.example/aco</link>"
        "<pubDate>Thu, 01 Jan 1970 00:00:00 GMT</pubDate></item>"
        "</channel></rss>"
    ).encode()


async def test_an_undated_items_alert_says_first_seen_on_every_channel(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.feed("/uol", undated_feed())
    seen = datetime(2026, 12, 6, 21, 54, tzinfo=UTC)
    async with webhook_receiver() as hook, smtp_standin() as smtp, telegram_standin() as tg:
        extra = hook_rules(hook.url).replace('["hook"]', '["hook", "mail", "tg"]')
        extra += f"""
[channels.mail]
type = "email"
host = "127.0.0.1"
port = {smtp.port}
security = "none"
sender = "monitor@example.org"
recipients = ["desk@example.org"]
storm_limit = 0

[channels.tg]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{tg.url}"
rate_limit = "off"
storm_limit = 0
"""
        config = make_config(tmp_path, [feed_server.url("/uol")], extra, retention="30d")
        engine = await Engine.open(config, clock=Clock(seen.timestamp()))
        try:
            poll = await refresh_feed(engine.rt, config.feeds[0])
            assert poll.result == "new", poll.error
            assert await engine.drain(20)
        finally:
            await engine.close()
    hooked = hook.payloads()
    assert len(hooked) == 3  # undated items are news: max_age does not judge them
    for payload in hooked:
        assert payload["alert"]["published"] is None
        assert payload["alert"]["first_seen"].startswith("2026-12-06T21:54")
    mails = [p.get_content() for m in smtp.received for p in m.iter_parts()]
    assert mails and tg.messages
    texts = [*mails, *tg.messages.values()]
    for text in texts:
        assert "First seen 6 Dec 2026, 21:54 UTC" in text, text
        assert "Published" not in text, text


def test_a_max_age_longer_than_retention_is_refused_with_the_other_problems(
    tmp_path: Path,
) -> None:
    text = (
        f'[monitor]\ndatabase = "{tmp_path}/m.db"\nretention = "2m"\nmax_age = "3d"\n'
        'colour = "red"\n[dedup]\nwindow = "1m"\n'
    )
    with pytest.raises(ConfigError) as raised:
        loads(text, base_dir=tmp_path)
    problems = raised.value.problems
    assert any("colour" in p for p in problems)  # reported in the same pass
    (line,) = [p for p in problems if "max_age" in p]
    assert "3d" in line and "2m" in line and "retention" in line and "\n" not in line
    loads(text.replace('colour = "red"\n', "").replace('"3d"', '"2m"'), base_dir=tmp_path)


def test_a_retention_shorter_than_the_default_max_age_still_loads_and_max_age_follows_it(
    tmp_path: Path,
) -> None:
    # A config that ran before max_age existed (retention 1d, a 12h dedup window) still runs.
    text = f'[monitor]\ndatabase = "{tmp_path}/m.db"\nretention = "1d"\n[dedup]\nwindow = "12h"\n'
    assert loads(text, base_dir=tmp_path).monitor.max_age == 86400.0
    longer = f'[monitor]\ndatabase = "{tmp_path}/m.db"\nretention = "30d"\n'
    assert loads(longer, base_dir=tmp_path).monitor.max_age == 3 * 86400.0


async def test_a_max_age_reloaded_takes_effect(feed_server: FeedServer, tmp_path: Path) -> None:
    # The feed's items of 29-31 Jan, polled on 5 Feb: five days old, older than the default.
    feed_server.feed("/guardian", guardian())
    async with webhook_receiver() as hook:
        config = make_config(
            tmp_path, [feed_server.url("/guardian")], hook_rules(hook.url), retention="30d"
        )
        clock = Clock(NIGHT + 5 * DAY)
        engine = await Engine.open(config, clock=clock)
        try:
            assert (await refresh_feed(engine.rt, config.feeds[0])).result == "new"
            assert await engine.drain(20)
            assert hook.payloads() == []
            longer = make_config(
                tmp_path,
                [feed_server.url("/guardian")],
                hook_rules(hook.url),
                max_age="14d",
                retention="30d",
            )
            await engine.reload(longer)
            # A changed body, its items new again: under the reloaded max_age, news.
            feed_server.feed("/guardian", guardian().replace(b"<guid>", b"<guid>x"))
            clock.now += 600
            assert (await refresh_feed(engine.rt, longer.feeds[0])).result == "new"
            assert await engine.drain(20)
        finally:
            await engine.close()
    assert len(hook.payloads()) > 5
