"""Through the real pipeline (local feeds, the Telegram stand-in, SQLite), from the first poll
of a fresh store (a window too young to know which words are common): Reuters and the Kyiv
Independent report Putin's invitation to Zelensky; minutes later Reuters reports Putin's
talks with Xi in Beijing, its lede naming him as the wires do ("Russian President Vladimir
Putin"). The two share "Putin", "talks" and the name's other words in the ledes: one name and
a word news uses of many happenings, so the talks are an event of their own and a second
"new" message, not an edit of the invitation's (explore14: "EVENT GROWS", the user's
Telegram only edited the old message). Another outlet's report of the invitation, its lede
naming him so too, still joins it without a message."""

from __future__ import annotations

import csv
from pathlib import Path

from conftest import shared
from feedserver import FeedServer
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, telegram_standin
from test_events_common_alerts import rss

from monitor.engine import Engine
from monitor.oneshot import poll_all

INVITE = (
    "Kremlin says Putin invited Zelensky to Moscow for talks, not surrender",
    "Kremlin spokesman Dmitry Peskov said on Friday that President Vladimir Putin's invitation "
    "to Ukraine's Volodymyr Zelenskiy was for negotiations.",
)
INVITE_KI = (
    "Zelensky invited to Moscow for talks, not to capitulate — Peskov",
    "The Russian president's offer was genuine, the Kremlin spokesman said, adding that Putin "
    "remains open to a meeting.",
)
XI = (
    "Putin and Xi hold talks in Beijing on gas pipeline deal",
    "Russian President Vladimir Putin and Chinese leader Xi Jinping discussed the Power of "
    "Siberia 2 pipeline at a summit in Beijing.",
)
INVITE_AP = (
    "Peskov: Putin's invitation to Zelensky still stands",
    "Russian President Vladimir Putin's invitation to Volodymyr Zelensky to come to Moscow "
    "stands, Kremlin spokesman Dmitry Peskov told reporters.",
)

BACKGROUND = 90  # other news in the window: a young one, as a fresh install's first hour
# A Telegram desk the rules of the events-by-name tests send to (the Bot API stand-in's).
DESK = """
[channels.desk]
type = "telegram"
bot_token = "{token}"
chat_id = "{chat}"
api_base = "{url}"
rate_limit = "off"
update_delay = "0s"
"""
RULE = (
    """
[[entities]]
name = "Volodymyr Zelensky"
aliases = ["Zelensky", "Zelenskyy", "Zelenskiy"]

[[rules]]
name = "peace-talks"
query = '(@Zelensky OR Putin) AND (negotiations OR summit OR talks OR invitation)'
channels = ["desk"]
"""
    + DESK
)


async def test_putins_talks_with_xi_are_a_new_alert_not_the_invitations_update(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.feed("/a", rss("reuters", [(*INVITE, 0.1)]))
    feed_server.feed("/b", rss("kyiv", [(*INVITE_KI, 0.1)]))
    feed_server.feed("/c", rss("ap", []))
    async with telegram_standin() as tg:
        extra = RULE.format(token=BOT_TOKEN, chat=CHAT_ID, url=tg.url)
        urls = [feed_server.url(p) for p in ["/a", "/b", "/c"]]
        engine = await Engine.open(make_config(tmp_path, urls, extra=extra))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            first = [str(m["text"]) for m in tg.sent]
            assert len(first) == 1 and INVITE[0] in first[0] + INVITE_KI[0], first
            feed_server.feed("/a", rss("reuters", [(*INVITE, 0.1), (*XI, 0.0)]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            texts = [str(m["text"]) for m in tg.sent]
            assert len(texts) == 2 and XI[0] in texts[1], texts
            assert not any(XI[0] in str(e["text"]) for e in tg.edits), tg.edits
            # the invitation's own coverage still folds into its event: no new message
            feed_server.feed("/c", rss("ap", [(*INVITE_AP, 0.0)]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            assert len(tg.sent) == 2, [str(m["text"]) for m in tg.sent[2:]]
        finally:
            await engine.close()


BRUSSELS = (
    "Zelenskyy meets EU leaders at Brussels summit on defense aid",
    "Zelenskyy attended the European Council summit in Brussels to discuss air defense and the "
    "use of frozen Russian assets.",
)


async def test_a_summit_in_brussels_is_not_putins_talks_in_beijing(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """The 14-outlet trial: minutes after Putin's talks with Xi "at a summit in Beijing",
    Zelenskyy's EU summit in Brussels shares with them only "summit", "leaders", "discuss"
    and "Russian": words news uses of many happenings, and another "new" message."""
    with shared("uci-news-2014-03", "uci-news-aggregator_2014-03-10_12_slice.csv").open(
        encoding="utf-8", newline=""
    ) as f:
        other = [r[1] for r in list(csv.reader(f))[1:BACKGROUND]]
    feed_server.feed("/bg", rss("bg", [(t, "", 1.0) for t in other]))
    feed_server.feed("/a", rss("reuters", [(*INVITE, 0.2)]))
    feed_server.feed("/b", rss("kyiv", [(*INVITE_KI, 0.2)]))
    async with telegram_standin() as tg:
        extra = RULE.format(token=BOT_TOKEN, chat=CHAT_ID, url=tg.url)
        urls = [feed_server.url(p) for p in ["/bg", "/a", "/b"]]
        engine = await Engine.open(make_config(tmp_path, urls, extra=extra))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/a", rss("reuters", [(*INVITE, 0.2), (*XI, 0.1)]))
            feed_server.feed("/b", rss("kyiv", [(*INVITE_KI, 0.2), (*BRUSSELS, 0.0)]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            texts = [str(m["text"]) for m in tg.sent]
            assert len(texts) == 3, texts
            assert [sum(t[0] in m for m in texts) for t in (XI, BRUSSELS)] == [1, 1], texts
        finally:
            await engine.close()
