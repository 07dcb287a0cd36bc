"""What an alert says, through the real pipeline (local feed, webhook receiver, SMTP
stand-in): the item's own headline without its wire tag, its link and outlet first, its
lede (not the headline again), its publication time, and the words that fired as written."""

from __future__ import annotations

from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import smtp_standin, webhook_receiver

from monitor.engine import Engine
from monitor.oneshot import poll_all

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


@pytest.mark.parametrize("alert_on", ["story", "event"])
async def test_an_alert_raised_by_an_outlet_that_joins_a_story_names_every_outlet(
    feed_server: FeedServer, tmp_path: Path, alert_on: str
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
alert_on = "{alert_on}"
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
