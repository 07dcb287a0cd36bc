"""An article's link in an alert is the publisher's, not our key (review19c's D2): its
ordinary parameters (``articleCode``, ``passage``, ``scripcode``, ``promo_code``,
``sortkey``) reach the webhook and ``stories --json`` intact, so the link still opens; in a
feed's URL "code", "key" and "pass" mask a value only as the whole name or after a prefix of
ours, so ``station_code`` and ``geocode`` keep two feeds apart; ``authorization`` is masked."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import aiohttp
import pytest
from standins import webhook_receiver
from test_outbox_delivery import channel_config

from monitor.channels import build_channel
from monitor.models import Alert
from monitor.redact import redact

LINKS = [
    "https://news.example.kr/news/articleView.html?articleCode=20241207000123",
    "https://www.biblegateway.com/passage/?search=John+3&passage=John3",
    "https://www.bseindia.com/corporates/ann.html?scripcode=500325",
    "https://shop.example/deal?item=42&promo_code=RSS2024",
    "https://www.example.gov/notices?sortkey=date&id=991",
]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def test_an_article_link_in_an_alert_still_works(session: aiohttp.ClientSession) -> None:
    async with webhook_receiver() as hook:
        channel = build_channel("hook", channel_config(type="webhook", url=hook.url), session)
        for i, link in enumerate(LINKS):
            await channel.send(Alert(i + 1, "hook", "new", "Leaders meet", url=link))
        # ... but a secret by its name's words is still masked there, and in a health
        # alert the link is a feed's: masked as every feed URL is.
        await channel.send(Alert(8, "hook", "new", "Leaders meet", url=f"{LINKS[0]}&api_key=K1"))
        health = "https://h.example/a.rss?accesstoken=Ak3yAAAA1111"
        await channel.send(Alert(9, "hook", "health", "feed failing", url=health))
    urls = [json.loads(body)["alert"]["url"] for _, body in hook.requests]
    assert urls == [
        *LINKS,
        f"{LINKS[0]}&api_key=***",
        "https://h.example/a.rss?accesstoken=***",
    ]


@pytest.mark.parametrize("name", ["station_code", "region_code", "geocode", "series_code"])
def test_an_ordinary_code_parameter_keeps_feeds_apart(name: str) -> None:
    a = redact(f"[feed=https://alerts.example/rss?{name}=KJFK]")
    b = redact(f"[feed=https://alerts.example/rss?{name}=KLAX]")
    assert a != b, (a, b)


def test_authorization_is_masked() -> None:
    assert redact("https://h/a.rss?authorization=Value1234") == "https://h/a.rss?authorization=***"
