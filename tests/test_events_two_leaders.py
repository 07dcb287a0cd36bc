"""One happening (Putin's talks with Xi in Beijing), two outlets whose ledes name both leaders
as wires do ("Chinese President Xi Jinping ... Russian President Vladimir Putin"): one alert.
review19e: the title word both names hold ("president") chained them into one name, so all the
two reports shared counted as one word, and the second outlet's report was a second "new"
alert (in a young window, and with a learned one for Modi and Kishida)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import shared
from feedserver import FeedServer
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, telegram_standin
from test_events_common_alerts import rss
from test_events_name_words import DESK

from monitor.engine import Engine
from monitor.oneshot import poll_all

RULE = (
    """
[[rules]]
name = "putin"
query = 'Putin'
channels = ["desk"]
"""
    + DESK
)

REUTERS = (
    "Putin and Xi hold talks in Beijing",
    "Russian President Vladimir Putin and Chinese President Xi Jinping held talks on Tuesday, "
    "the Kremlin said, with energy and trade at the top of the agenda for the two countries.",
)
AP = (
    "Xi welcomes Putin with red-carpet ceremony",
    "Chinese President Xi Jinping welcomed Russian President Vladimir Putin with a red-carpet "
    "ceremony, as both sides pledged to deepen a partnership that worries western capitals.",
)


async def test_two_outlets_naming_both_presidents_are_one_alert(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.feed("/a", rss("reuters", [(*REUTERS, 0.1)]))
    feed_server.feed("/b", rss("ap", []))
    async with telegram_standin() as tg:
        extra = RULE.format(token=BOT_TOKEN, chat=CHAT_ID, url=tg.url)
        urls = [feed_server.url(p) for p in ["/a", "/b"]]
        engine = await Engine.open(make_config(tmp_path, urls, extra=extra))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            assert len(tg.sent) == 1
            feed_server.feed("/b", rss("ap", [(*AP, 0.0)]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            texts = [str(m["text"]) for m in tg.sent]
            assert len(texts) == 1, texts
        finally:
            await engine.close()


MODI = (
    "Modi and Kishida hold talks in New Delhi",
    "Indian Prime Minister Narendra Modi and Japanese Prime Minister Fumio Kishida held talks "
    "on Monday, agreeing to expand cooperation on semiconductors and clean energy.",
)
MODI2 = (
    "Kishida, Modi pledge closer ties as talks end",
    "Japanese Prime Minister Fumio Kishida said after talks with Indian Prime Minister Narendra "
    "Modi that both sides would work towards a free and open region.",
)


@pytest.mark.parametrize("background", [0, 600])
@pytest.mark.parametrize("pair", ["xi", "modi"])
async def test_talks_of_two_leaders_are_one_alert(
    feed_server: FeedServer, tmp_path: Path, pair: str, background: int
) -> None:
    """The same in a learned window (600 UCI headlines), both headlines saying 'talks'."""
    first, second = {"xi": (REUTERS, (AP[0] + " for talks", AP[1])), "modi": (MODI, MODI2)}[pair]
    with shared("uci-news-2014-03", "uci-news-aggregator_2014-03-10_12_slice.csv").open(
        encoding="utf-8", newline=""
    ) as f:
        other = [r[1] for r in list(csv.reader(f))[1 : 1 + background]]
    feed_server.feed("/bg", rss("bg", [(t, "", 3.0) for t in other]))
    feed_server.feed("/a", rss("reuters", [(*first, 0.1)]))
    feed_server.feed("/b", rss("ap", []))
    async with telegram_standin() as tg:
        extra = RULE.format(token=BOT_TOKEN, chat=CHAT_ID, url=tg.url).replace(
            "query = 'Putin'", "query = 'Putin OR Modi'"
        )
        urls = [feed_server.url(p) for p in ["/bg", "/a", "/b"]]
        engine = await Engine.open(make_config(tmp_path, urls, extra=extra))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(30)
            before = len(tg.sent)
            assert before >= 1
            feed_server.feed("/b", rss("ap", [(*second, 0.0)]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(30)
            texts = [str(m["text"]) for m in tg.sent[before:]]
            assert texts == [], texts
        finally:
            await engine.close()
