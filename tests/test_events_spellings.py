"""A name written two ways ("Mt. Gox" / "MtGox") is one name to events, through the real
pipeline (local feeds, the Telegram stand-in). On the UCI day of the Mt. Gox hack, one
outlet wrote "Mt. Gox" and another "MtGox": the headlines of each spelling shared no word
of the name, the second spelling started an event of its own, and the urgent rule sent a
second "new" message for the same happening. An unrelated happening whose name starts with
the same short word ("Mt. Etna") stays apart."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from conftest import shared
from feedserver import FeedServer
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, TelegramStandIn, telegram_standin

from monitor.engine import Engine
from monitor.events.spellings import Spellings
from monitor.oneshot import poll_all

UCI = ("uci-news-2014-03", "uci-news-aggregator_2014-03-10_12_slice.csv")
# The headlines that split on the long day (UCI story d85PwV...): the first outlet's, then
# the other outlet's, which spells the name "MtGox"
FIRST = ["Does Mt. Gox CEO still control all those stolen bitcoins?"]
SECOND = ["MtGox boss Mark Karpeles targeted by hackers"]
ETNA = "Mt. Etna erupts, spewing ash over Sicily"  # another happening, another "Mt."


def uci() -> dict[str, tuple[str, str]]:
    """UCI headline -> (publisher, story label)."""
    with shared(*UCI).open(encoding="utf-8", newline="") as f:
        return {r["TITLE"]: (r["PUBLISHER"], r["STORY"]) for r in csv.DictReader(f)}


def rss(
    name: str, titles: list[str], publishers: dict[str, tuple[str, str]] | None = None
) -> bytes:
    """A feed of these headlines, the newest first, each with the day's summary
    ("Publisher: headline")."""
    now = datetime.now(UTC)
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>http://{name}.example/{i}</link>"
        f"<description>{escape((publishers or {}).get(t, (name, ''))[0])}: {escape(t)}</description>"
        f"<pubDate>{format_datetime(now - timedelta(minutes=i))}</pubDate></item>"
        for i, t in enumerate(titles)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{name}'
        f"</title><link>http://{name}.example/</link>{entries}</channel></rss>"
    ).encode()


def telegram(tg: TelegramStandIn) -> str:
    return f"""
[[rules]]
name = "mtgox"
query = 'Gox OR MtGox OR Etna'
channels = ["desk"]
severity = "urgent"

[channels.desk]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{tg.url}"
rate_limit = "off"
update_delay = "0s"
"""


async def test_one_happening_written_two_ways_is_one_message(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    day = uci()
    assert len({day[t][1] for t in FIRST + SECOND}) == 1  # one UCI story
    # the day's earlier news (200 headlines), without the Mt. Gox coverage
    background = [t for t in list(day)[:260] if "gox" not in t.casefold()][:200]
    feed_server.feed("/bg", rss("bg", background, day))
    feed_server.feed("/a", rss("a", [*FIRST, ETNA], day))
    feed_server.feed("/b", rss("b", []))
    async with telegram_standin() as tg:
        urls = [feed_server.url(p) for p in ["/bg", "/a", "/b"]]
        engine = await Engine.open(make_config(tmp_path, urls, extra=telegram(tg)))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/b", rss("b", SECOND, day))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            sent = [str(m["text"]) for m in tg.sent]
            # one "new" message for the hack, one for the eruption: "MtGox" is no new event
            heads = [text.split("\n")[0] for text in sent]
            assert len(sent) == 2, heads
            assert sum("Etna" in head for head in heads) == 1, heads
            assert sum("Gox" in head for head in heads) == 1, heads
            assert not any("MtGox" in head for head in heads), heads
        finally:
            await engine.close()


def test_a_joined_spelling_is_read_as_its_parts_once_seen_apart() -> None:
    spellings = Spellings()
    assert spellings.fold(("mtgox", "boss"), ()) is None  # not seen apart
    spellings.learn(("hacker", "mt", "gox", "ceo", "blog"), lambda _: 0)
    assert spellings.fold(("mtgox", "boss"), {"mtgox"}) == (
        ("mt", "gox", "boss"),
        frozenset({"mtgox", "mt", "gox"}),
    )
    assert spellings.fold(("mt", "gox", "file"), ()) is None  # no event holds "mtgox"
    # a camelCase name no headline writes apart stays whole ("McDonald's" is not "Donald")
    assert spellings.fold(("mcdonald", "profit"), ()) is None


def test_the_parts_carry_the_joined_spelling_an_event_held_first() -> None:
    spellings = Spellings()
    spellings.learn(("mt", "gox", "file"), lambda word: int(word == "mtgox"))
    folded = spellings.fold(("hacker", "mt", "gox"), ())
    assert folded is not None and folded[0] == ("hacker", "mt", "mtgox", "gox")
