"""The link an alert shows is the article's without how the reader came to it (explore14):
``?utm_source=rss&utm_medium=feed``, ``fbclid``, ``gclid``, ``mc_cid`` are taken off on every
channel (Telegram, mail, webhook, console), in a first alert, in an update's "First report"
and in a digest, while the article's own parameters stay as written and in order (a broken
link is worse than a tracked one, and "?pk_id=42" is the shop's, not Matomo's) and so does
its fragment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, smtp_standin, telegram_standin, webhook_receiver
from test_outbox_delivery import channel_config, telegram

from monitor.channels import build_channel
from monitor.engine import Engine
from monitor.models import Alert
from monitor.oneshot import poll_all

TRACKED = "http://wire.example/talks?id=123&utm_source=rss&utm_medium=feed&page=2#live"
CLEAN = "http://wire.example/talks?id=123&page=2#live"

LINKS = [
    # (the feed's link, the link the alert shows)
    (TRACKED, CLEAN),
    ("https://a.example/n/1?utm_source=rss&utm_medium=feed", "https://a.example/n/1"),
    ("https://a.example/n/2?fbclid=IwAR0abc", "https://a.example/n/2"),
    ("https://a.example/n/3?gclid=Cj0K&b=2&a=1", "https://a.example/n/3?b=2&a=1"),
    ("https://a.example/n/4?mc_cid=5&mc_eid=6&q=a+b", "https://a.example/n/4?q=a+b"),
    ("https://a.example/n/5?%75tm_source=x&s=%C3%A9", "https://a.example/n/5?s=%C3%A9"),
    ("https://a.example/n/6#utm_source=x", "https://a.example/n/6#utm_source=x"),
    ("https://a.example/n/7?id=9&ref=home", "https://a.example/n/7?id=9&ref=home"),
    # A tracker is told by its exact name (utm_ by its prefix): the publisher's own
    # parameter that starts like one stays, or the link opens another page (review20c).
    ("https://shop.example/item?pk_id=42&utm_source=rss", "https://shop.example/item?pk_id=42"),
    ("https://a.example/n/8?at_page=2&pk_campaign=rss&hsa_acc=1&mc_eid=7&at_medium=email",
     "https://a.example/n/8?at_page=2"),
    ("https://a.example/n/9?mc_id=3&hsa_x=1&pk_kwd=k", "https://a.example/n/9?mc_id=3&hsa_x=1"),
]  # fmt: skip


def rss(link: str) -> bytes:
    link = link.replace("&", "&amp;")
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
        "<link>http://example.org/</link><item><title>Putin invites Zelensky to talks</title>"
        f"<link>{link}</link><guid>wire-1</guid><description>The Kremlin said so.</description>"
        "<pubDate>Fri, 05 Sep 2025 14:03:00 GMT</pubDate></item></channel></rss>"
    ).encode()


@dataclass
class Channels:
    """What each channel received of the feed's alerts (``alerted_everywhere``)."""

    tg: Any
    hook: Any
    smtp: Any


async def alerted_everywhere(feed_server: FeedServer, tmp_path: Path, body: bytes) -> Channels:
    """The alerts of one feed serving ``body``, matched by 'Zelensky AND talks', as Telegram,
    a webhook, mail and the console received them."""
    feed_server.feed("/wire", body)
    async with telegram_standin() as tg, webhook_receiver() as hook, smtp_standin() as smtp:
        extra = f"""
[[rules]]
name = "talks"
query = 'Zelensky AND talks'
channels = ["tg", "hook", "mail", "screen"]

[channels.tg]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{tg.url}"
rate_limit = "off"

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

[channels.screen]
type = "console"
"""
        engine = await Engine.open(make_config(tmp_path, [feed_server.url("/wire")], extra=extra))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    return Channels(tg, hook, smtp)


async def test_every_channel_links_the_article_without_tracking_parameters(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    got = await alerted_everywhere(feed_server, tmp_path, rss(TRACKED))
    tg, hook, smtp = got.tg, got.hook, got.smtp
    (payload,) = hook.payloads()
    assert payload["alert"]["url"] == CLEAN
    (sent,) = tg.sent
    (mail,) = smtp.received
    parts = [p.get_content() for p in mail.iter_parts()]
    texts = {
        "webhook": payload["text"],
        "telegram": sent["text"].replace("&amp;", "&"),
        "mail text": parts[0],
        "mail html": parts[1].replace("&amp;", "&"),
        "console": capsys.readouterr().out,
    }
    for channel, text in texts.items():
        assert CLEAN in text, channel
        assert "utm_" not in text, channel


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def test_links_lose_only_their_tracking_parameters(session: aiohttp.ClientSession) -> None:
    async with webhook_receiver() as hook:
        channel = build_channel("hook", channel_config(type="webhook", url=hook.url), session)
        for i, (link, _) in enumerate(LINKS):
            await channel.send(Alert(i + 1, "hook", "new", "Leaders meet", url=link))
        # A digest shows each alert's link too.
        digest = [
            Alert(20 + i, "hook", "new", "Leaders meet", url=u) for i, (u, _) in enumerate(LINKS)
        ]
        await channel.send_digest(digest)
    *single, together = hook.payloads()
    assert [p["alert"]["url"] for p in single] == [shown for _, shown in LINKS]
    assert [a["url"] for a in together["digest"]] == [shown for _, shown in LINKS]
    assert "utm_" not in together["text"].replace("#utm_source=x", "")


async def test_an_update_links_its_first_report_without_tracking(
    session: aiohttp.ClientSession,
) -> None:
    # An event's update edited in place leads with its newest angle and links both reports.
    newest = "https://herald.example/talks?story=7&utm_campaign=feed"
    update = Alert(
        1, "tg", "update", "Putin invites Zelensky to talks", url=newest, event_id=1,
        outlets=("Herald", "Wire"),
        extra={"lead_outlet": "Herald", "first_url": TRACKED, "new_angles": "Talks set for May",
               "angles": "2", "angles_before": "1"},
    )  # fmt: skip
    async with telegram_standin() as tg:
        channel = build_channel("tg", telegram(tg.url), session)
        await channel.send(update)
    (sent,) = tg.sent
    text = sent["text"].replace("&amp;", "&")
    assert 'href="https://herald.example/talks?story=7">Read the newest' in text
    assert f'href="{CLEAN}">First report' in text
    assert "utm_" not in text
