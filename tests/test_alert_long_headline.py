"""A headline too long for an alert is cut where a word ends and says so with "…" (explore14:
a 600-character headline ended mid-word, "... delegati"), on every channel: the alert's own
title (500 characters), Telegram's message, the mail's subject (200) and body, the console."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from feedserver import FeedServer
from test_alert_link_tracking import alerted_everywhere

# Words of which no one is the start of another ("delegation012" is no "delegation01").
HEADLINE = "Putin invites Zelensky to talks with " + " ".join(
    f"{word}{i:03d}" for i in range(60) for word in ("delegation", "of")
)
# Before the ellipsis: a word cut short would be no word of the headline.
CUT_WORD = re.compile(r"(\S+?)…")


def rss(title: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
        "<link>http://example.org/</link><item>"
        f"<title>{title}</title><link>http://wire.example/talks</link>"
        "<description>The Kremlin said so.</description>"
        "<pubDate>Fri, 05 Sep 2025 14:03:00 GMT</pubDate></item></channel></rss>"
    ).encode()


async def test_a_long_headline_is_cut_at_a_word_on_every_channel(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert len(HEADLINE) > 600 and HEADLINE[499] != " "  # a cut at 500 lands in a word
    got = await alerted_everywhere(feed_server, tmp_path, rss(HEADLINE))
    tg, hook, smtp = got.tg, got.hook, got.smtp
    (payload,) = hook.payloads()
    title = payload["alert"]["title"]
    assert title.endswith("…") and len(title) <= 500
    assert HEADLINE.startswith(title[:-1]) and HEADLINE[len(title) - 1] == " "
    (sent,) = tg.sent
    (mail,) = smtp.received
    texts = {
        "webhook": payload["text"],
        "telegram": html.unescape(sent["text"]),
        "mail subject": mail["Subject"],
        **{
            f"mail {p.get_content_type()}": html.unescape(p.get_content())
            for p in mail.iter_parts()
        },
        "console": " ".join(capsys.readouterr().out.split()),  # wrapped: one line again
    }
    words = set(HEADLINE.split())
    for channel, text in texts.items():
        cuts = CUT_WORD.findall(text)
        assert cuts, (channel, text)
        assert all(w in words for w in cuts), (channel, cuts)
    assert len(mail["Subject"]) <= 200
