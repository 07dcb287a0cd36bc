"""Coverage of one summit by two outlets, the second sharing the place and "summit", "leaders"
or "meet", words news uses of many happenings: one alert, in a young window (the first poll)
and a learned one (600 UCI headlines). review19e: once those words were common, the place
alone was left and the summit's own coverage split into two alerts."""

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
name = "summit"
query = 'summit OR leaders OR G7 OR NATO'
channels = ["desk"]
"""
    + DESK
)

PAIRS = [
    (("G7 summit opens in Hiroshima", ""), ("World leaders meet in Hiroshima for summit", "")),
    (
        (
            "G7 leaders gather in Hiroshima for summit",
            "Leaders of the Group of Seven rich democracies met in Hiroshima on Friday, with the war "
            "in Ukraine and China's rise on the agenda.",
        ),
        (
            "Hiroshima summit opens with visit to peace memorial",
            "The leaders laid wreaths at the peace memorial park before the talks began.",
        ),
    ),
    (
        ("NATO leaders meet in Vilnius", ""),
        ("Vilnius summit: leaders discuss Ukraine's membership bid", ""),
    ),
    (
        ("Leaders arrive in Vilnius for NATO summit", ""),
        ("Biden meets allies at Vilnius summit", ""),
    ),
]


@pytest.mark.parametrize("learned", [False, True])
@pytest.mark.parametrize("pair", range(len(PAIRS)))
async def test_one_summit_is_one_alert(
    feed_server: FeedServer, tmp_path: Path, pair: int, learned: bool
) -> None:
    first, second = PAIRS[pair]
    urls = []
    if learned:
        with shared("uci-news-2014-03", "uci-news-aggregator_2014-03-10_12_slice.csv").open(
            encoding="utf-8", newline=""
        ) as f:
            other = [r[1] for r in list(csv.reader(f))[1:601]]
        feed_server.feed("/bg", rss("bg", [(t, "", 3.0) for t in other]))
        urls.append(feed_server.url("/bg"))
    feed_server.feed("/a", rss("reuters", [(*first, 0.1)]))
    feed_server.feed("/b", rss("ap", []))
    urls += [feed_server.url("/a"), feed_server.url("/b")]
    async with telegram_standin() as tg:
        extra = RULE.format(token=BOT_TOKEN, chat=CHAT_ID, url=tg.url)
        engine = await Engine.open(make_config(tmp_path, urls, extra=extra))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(30)
            before = len(tg.sent)
            feed_server.feed("/b", rss("ap", [(*second, 0.0)]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(30)
            texts = [str(m["text"]) for m in tg.sent[before:]]
            assert texts == [], texts
        finally:
            await engine.close()
