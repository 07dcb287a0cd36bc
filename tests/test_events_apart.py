"""Unrelated news stays apart, through the real pipeline (local feeds, a webhook receiver):
an outlet's boilerplate summary, a company's name and product, or items dated days apart
listed newest first must not fold distinct news into one event, where the second piece of
news would raise no "new" alert. Angles of one happening, with real ledes, still join."""

from __future__ import annotations

import asyncio
import csv
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from conftest import shared
from feedserver import FeedServer
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, telegram_standin, webhook_receiver

from monitor import config as config_module
from monitor.cli import main
from monitor.engine import Engine
from monitor.oneshot import poll_all

Item = tuple[str, str, float]  # headline, summary, hours ago

HK = "Read more at Hong Kong Post"
IOS = (
    "Apple unveils iOS 7.1 with CarPlay support",
    "The update brings CarPlay to Ferrari, Mercedes and Volvo cars and fixes for the iPhone 4.",
    0.0,
)
FIRE = (
    "Apple iPhone factory fire in Shenzhen",
    "A fire broke out overnight at a Foxconn plant that assembles iPhones.",
    0.0,
)
SUED = (
    "Apple sued over iPhone slowdown",
    "Owners of older iPhones filed a class action in California.",
    0.0,
)
CRIMEA = (
    "Ukraine crisis: Crimea parliament sets referendum date",
    "Lawmakers in Crimea voted to hold a referendum on joining Russia on March 16, "
    "moving the date forward by two weeks.",
    0.0,
)
CRIMEA_AGAIN = (
    "Crimea to vote on joining Russia within ten days",
    "The Crimean parliament brought forward a referendum on joining Russia to March 16, "
    "its speaker said in Simferopol.",
    0.0,
)

QUAKE = (
    "Strong earthquake hits southern Turkey",
    "A magnitude 7.8 earthquake struck southern Turkey near Gaziantep early on Monday, "
    "toppling buildings.",
    0.0,
)
# One outlet's live coverage of it: headlines of their own, the happening's words in the
# summaries
QUAKE_LIVE = [
    ("Hundreds killed as buildings collapse", "The earthquake in southern Turkey killed "
     "hundreds as buildings collapsed in Gaziantep and Kahramanmaras."),
    ("Rescuers search rubble for survivors through the night", "Rescue teams in Turkey "
     "searched the rubble after the earthquake through the night."),
    ("Erdogan declares seven days of national mourning", "Turkey's president declared "
     "mourning after the earthquake that killed more than 1,500."),
    ("EU sends search and rescue teams", "The European Union sent search teams to Turkey "
     "after the earthquake, the commission said."),
    ("Strong aftershock rattles the region", "A strong aftershock hit southern Turkey hours "
     "after Monday's earthquake near Gaziantep."),
    ("Death toll passes 2,000", "The number of people killed by the earthquake in Turkey "
     "passed 2,000, officials in Gaziantep said."),
    ("Syria also hit, rescuers say", "The earthquake that struck Turkey also destroyed "
     "buildings across the border in Syria."),
    ("Hospitals overwhelmed in Gaziantep", "Hospitals in Gaziantep struggled with the "
     "injured from the Turkey earthquake."),
]  # fmt: skip

# other news, on another feed: the boilerplate's words are rare among events
OTHER = [
    ("Stocks close higher as oil prices fall", "", 0.0),
    ("Bank of England keeps interest rates on hold", "", 0.0),
    ("Heavy rain floods roads across the north", "", 0.0),
    ("Local council approves new budget for schools", "", 0.0),
    ("Scientists find water ice on distant moon", "", 0.0),
]

# (case, the rule's query, feed a's items, feed b's items at the first poll, b's added at
# the second poll, whether the daemon restarts between the polls, the "new" alerts the user
# gets: one per distinct piece of news)
CASES = [
    ("every item of an outlet has one boilerplate summary", "Crimea OR recall",
     [(CRIMEA[0], HK, 0.0), ("Oscar Pistorius trial hears from neighbour", HK, 0.0),
      ("GM recalls 1.6 million cars over ignition switch", HK, 0.0)], [], [], False, 2),
    ("the outlet's boilerplate known again after a restart", "Crimea OR recall", OTHER,
     [(CRIMEA[0], HK, 0.0), ("Oscar Pistorius trial hears from neighbour", HK, 0.0)],
     [("GM recalls 1.6 million cars over ignition switch", HK, 0.0)], True, 2),
    ("one company's unrelated news within the hour", "Apple", [], [IOS], [FIRE, SUED], False,
     3),
    ("one company's news dated days apart, newest first", "Apple",
     [("Apple iPhone sales slow in China", "", 24.0),
      ("Apple iPhone factory fire in Shenzhen", "", 48.0),
      ("Apple sued over iPhone slowdown in California", "", 72.0)], [], [], False, 3),
    ("two outlets report one happening", "Crimea", [CRIMEA], [], [CRIMEA_AGAIN], False, 1),
]  # fmt: skip


def rss(name: str, items: list[Item]) -> bytes:
    now = datetime.now(UTC)
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>http://{name}.example/{abs(hash((t, s)))}</link>"
        f"<description>{escape(s)}</description>"
        f"<pubDate>{format_datetime(now - timedelta(hours=ago, minutes=i))}</pubDate></item>"
        for i, (t, s, ago) in enumerate(items)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{name}'
        f"</title><link>http://{name}.example/</link>{entries}</channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    ("query", "a", "b", "b_later", "restart", "alerts"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
async def test_distinct_news_gets_its_own_alert(
    feed_server: FeedServer,
    tmp_path: Path,
    query: str,
    a: list[Item],
    b: list[Item],
    b_later: list[Item],
    restart: bool,
    alerts: int,
) -> None:
    feed_server.feed("/a", rss("eva", a))
    feed_server.feed("/b", rss("evb", b))
    async with webhook_receiver() as hook:
        extra = f"""
[dedup]
window = "96h"

[[rules]]
name = "watch"
query = {query!r}
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{hook.url}"
update_delay = "0s"
"""
        urls = [feed_server.url("/a"), feed_server.url("/b")]
        config = make_config(tmp_path, urls, extra=extra.replace("'", '"'))
        engine = await Engine.open(config)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            if restart:
                await engine.close()
                engine = await Engine.open(config)
            if b_later:
                # the newest first, as feeds list them
                feed_server.feed("/b", rss("evb", [*reversed(b_later), *b]))
                await poll_all(engine.rt, progress=False)
                assert await engine.drain(20)
            new = [p["alert"]["title"] for p in hook.payloads() if p["alert"]["kind"] == "new"]
            assert len(new) == alerts, new
        finally:
            await engine.close()


# (what feed b adds to feed a's story, what the message then says of the outlets)
OUTLETS = [
    ("the same headline", (CRIMEA[0], CRIMEA[1], 0.0), "eva — also reported by: evb"),
    ("another angle of the event", CRIMEA_AGAIN, "eva — also covering this event: evb"),
]


@pytest.mark.parametrize(("later", "said"), [c[1:] for c in OUTLETS], ids=[c[0] for c in OUTLETS])
async def test_the_message_names_as_reporters_only_outlets_of_its_story(
    feed_server: FeedServer, tmp_path: Path, later: Item, said: str
) -> None:
    feed_server.feed("/a", rss("eva", [CRIMEA]))
    feed_server.feed("/b", rss("evb", []))
    async with telegram_standin() as tg:
        extra = f"""
[[rules]]
name = "watch"
query = "Crimea"
channels = ["desk"]

[channels.desk]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{tg.url}"
rate_limit = "off"
update_delay = "0s"
"""
        config = make_config(tmp_path, [feed_server.url("/a"), feed_server.url("/b")], extra=extra)
        engine = await Engine.open(config)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/b", rss("evb", [later]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            assert len(tg.sent) == 1 and tg.edits
            final = tg.messages[int(tg.edits[-1]["message_id"])]
            assert said in final, final
        finally:
            await engine.close()


# (B, what the pair alone says, what the daemon would do with A then B now): A is a headline
# of an event the store holds with another angle, whose words B shares and A does not.
PEACE = "Putin invites Zelensky to Moscow for peace talks"
REFUSAL = "Ukraine's president turns down invitation, proposes Kyiv as venue for meeting with Putin"
WINDOW_CASES = [
    ("Ukraine rejects invitation, proposes Kyiv as venue", "different events", "the same event"),
    ("Heavy rain floods roads across the north", "different events", "different events"),
]


@pytest.mark.parametrize(("b", "pair", "daemon"), WINDOW_CASES)
async def test_dedup_check_says_what_the_daemon_would_do_not_only_the_pair(
    feed_server: FeedServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    b: str,
    pair: str,
    daemon: str,
) -> None:
    feed_server.feed("/a", rss("eva", [(PEACE, "", 0.0)]))
    feed_server.feed("/b", rss("evb", [(REFUSAL, "", 0.0)]))
    path = tmp_path / "config.toml"
    feeds = "".join(f'[[feeds]]\nurl = "{feed_server.url(p)}"\n' for p in ("/a", "/b"))
    path.write_text(f'[monitor]\nmax_age = "36500d"\nretention = "36500d"\ndatabase = "{tmp_path}/monitor.db"\n{feeds}', encoding="utf-8")
    engine = await Engine.open(config_module.load(path))
    try:
        await poll_all(engine.rt, progress=False)
    finally:
        await engine.close()
    capsys.readouterr()
    check = ["dedup-check", "-c", str(path), PEACE, b]
    assert await asyncio.to_thread(main, check) == 0
    out = capsys.readouterr().out
    assert f"the pair alone): {pair}" in out and "--window says what it would do" in out
    assert await asyncio.to_thread(main, [*check, "--window"]) == 0
    lines = capsys.readouterr().out.splitlines()
    said = lines[-1]
    assert said.startswith("daemon, now (its window: 2 items") and said.endswith(daemon)
    assert "A would join event " in said and PEACE in said
    assert await asyncio.to_thread(main, [*check, "--window", "--json"]) == 0
    window = json.loads(capsys.readouterr().out)["window"]
    assert window["same_event"] is (daemon == "the same event")
    assert window["a"]["event"] is not None


LEDES = [
    CRIMEA[1],
    "General Motors is recalling 1.6 million cars worldwide over a faulty ignition switch.",
    "Oscar Pistorius's neighbour told the court she heard a woman scream before the shots.",
    IOS[1],
    "The Federal Reserve kept interest rates on hold and said it would keep buying bonds.",
]
# (case, feed a's items: one title, these summaries (each item its own link); the stories and
# the "new" alerts of rule "recall OR iPhone" they make)
TITLED = [
    ("a feed titles every item 'Latest news'", [("Latest news", s, 0.0) for s in LEDES], 5, 2),
    ("a feed sends one story again under its headline",
     [("GM recalls 1.6 million cars over ignition switch", LEDES[1], 0.0),
      ("GM recalls 1.6 million cars over ignition switch",
       LEDES[1] + " Owners will be told by mail.", 0.0)], 1, 1),
]  # fmt: skip


@pytest.mark.parametrize(
    ("a", "stories", "alerts"), [c[1:] for c in TITLED], ids=[c[0] for c in TITLED]
)
async def test_a_title_a_feed_gives_every_item_makes_no_story(
    feed_server: FeedServer, tmp_path: Path, a: list[Item], stories: int, alerts: int
) -> None:
    feed_server.feed("/a", rss("eva", a))
    async with webhook_receiver() as hook:
        extra = f"""
[[rules]]
name = "watch"
query = "recall OR iPhone"
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{hook.url}"
update_delay = "0s"
"""
        engine = await Engine.open(make_config(tmp_path, [feed_server.url("/a")], extra=extra))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            rows = await engine.store.db.raw.execute_fetchall(
                "SELECT COUNT(*), COUNT(DISTINCT story_id) FROM items"
            )
            assert tuple(next(iter(rows))) == (len(a), stories)
            new = [p["alert"] for p in hook.payloads() if p["alert"]["kind"] == "new"]
            assert len(new) == alerts, [n["title"] for n in new]
        finally:
            await engine.close()


# (case, the rule's query, feed a's new items at each poll (title, summary, its GUID and
# link), whether the daemon restarts before the last poll, the "new" alerts)
COPIES = [
    ("a story sent a third time under its headline, new GUID and URL", "Crimea",
     [[(CRIMEA[0], CRIMEA[1], "c1")], [(CRIMEA[0], CRIMEA[1], "c2")],
      [(CRIMEA[0], CRIMEA[1], "c3")]], False, 1),
    ("a feed's label over other news, known again after a restart",
     "Crimea OR recall OR Pistorius OR Reserve",
     [[("Latest news", s, f"l{i}") for i, s in enumerate(LEDES[:3])],
      [("Latest news", LEDES[4], "l4")]], True, 4),
]  # fmt: skip


def rss_copies(items: list[tuple[str, str, str]]) -> bytes:
    now = datetime.now(UTC)
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>http://eva.example/{guid}</link>"
        f"<guid>{guid}</guid><description>{escape(s)}</description>"
        f"<pubDate>{format_datetime(now - timedelta(minutes=i))}</pubDate></item>"
        for i, (t, s, guid) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>eva'
        f"</title><link>http://eva.example/</link>{entries}</channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    ("query", "polls", "restart", "alerts"), [c[1:] for c in COPIES], ids=[c[0] for c in COPIES]
)
async def test_a_story_sent_again_alerts_once(
    feed_server: FeedServer,
    tmp_path: Path,
    query: str,
    polls: list[list[tuple[str, str, str]]],
    restart: bool,
    alerts: int,
) -> None:
    async with webhook_receiver() as hook:
        extra = f"""
[[rules]]
name = "watch"
query = "{query}"
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{hook.url}"
update_delay = "0s"
"""
        config = make_config(tmp_path, [feed_server.url("/a")], extra=extra)
        engine = await Engine.open(config)
        listed: list[tuple[str, str, str]] = []
        try:
            for n, poll in enumerate(polls):
                if restart and n == len(polls) - 1:
                    await engine.close()
                    engine = await Engine.open(config)
                listed = [*reversed(poll), *listed]  # the newest first, as feeds list them
                feed_server.feed("/a", rss_copies(listed))
                await poll_all(engine.rt, progress=False)
                assert await engine.drain(20)
            new = [p["alert"]["title"] for p in hook.payloads() if p["alert"]["kind"] == "new"]
            assert len(new) == alerts, new
        finally:
            await engine.close()


# (case, feed a's first item, its later ones, the "new" alerts of rule "earthquake"), after
# a day's other news has taught the index which words are rare
COVERAGE = [
    ("an outlet's live coverage of one earthquake", QUAKE, QUAKE_LIVE, 1),
    ("one company's unrelated news", IOS, [FIRE[:2], SUED[:2]], 3),
]


@pytest.mark.parametrize(
    ("first", "later", "alerts"), [c[1:] for c in COVERAGE], ids=[c[0] for c in COVERAGE]
)
async def test_live_coverage_of_one_happening_is_one_event(
    feed_server: FeedServer,
    tmp_path: Path,
    first: Item,
    later: list[tuple[str, str]],
    alerts: int,
) -> None:
    with shared("uci-news-2014-03", "uci-news-aggregator_2014-03-10_12_slice.csv").open(
        encoding="utf-8", newline=""
    ) as f:
        titles = [r[1] for r in list(csv.reader(f))[1:601]]
    other = [(t, "", 1.0) for t in titles if not {"earthquake", "apple"} & set(t.lower().split())]
    feed_server.feed("/bg", rss("evbg", other))
    feed_server.feed("/a", rss("eva", []))
    async with webhook_receiver() as hook:
        extra = f"""
[[rules]]
name = "watch"
query = "earthquake OR Apple"
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{hook.url}"
update_delay = "0s"
"""
        urls = [feed_server.url("/bg"), feed_server.url("/a")]
        engine = await Engine.open(make_config(tmp_path, urls, extra=extra))
        try:
            await poll_all(engine.rt, progress=False)
            feed_server.feed("/a", rss("eva", [first]))
            await poll_all(engine.rt, progress=False)
            # one item at each poll, as coverage comes in
            for n in range(len(later)):
                items = [(t, su, 0.0) for t, su in reversed(later[: n + 1])]
                feed_server.feed("/a", rss("eva", [*items, first]))
                await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            new = [p["alert"]["title"] for p in hook.payloads() if p["alert"]["kind"] == "new"]
            assert len(new) == alerts, new
        finally:
            await engine.close()


# (case, the config's entities and the rule's query, feed a's item at the first poll, feed b's
# items at the second (within the hour), the "new" alerts the user gets), in a window too
# young to know which words are common, and after a day's other news (real UCI headlines) has
# taught it: a place or person and a common word in common are another happening there or of
# them, and it deserves its own "new" alert.
ORCHESTRA = (
    "Kyiv Symphony Orchestra announces autumn tour of US cities",
    "The orchestra, based in Kyiv since 1979, will play in twelve American cities.",
    0.0,
)
EXPLOSION = (
    "Explosion reported in central Kyiv, officials say",
    "A large explosion was heard in central Kyiv on Friday evening, city officials said.",
    0.0,
)
KYIV = '[[entities]]\nname = "Kyiv"\naliases = ["Kiev"]\n'
PUTIN = ("Putin invites Zelensky to Moscow for talks", "", 0.0)
XI = ("Putin holds talks with Xi on Power of Siberia 2 gas pipeline", "", 0.0)
TRUMP = ("Putin and Trump agree to hold summit in Budapest", "", 0.0)
# real headlines of one UCI event, from two outlets
PLOSSER = [("Fed's Charles Plosser sees high bar for change in pace of tapering", "", 0.0),
           ("Fed risks falling 'behind the curve', Charles Plosser says", "", 0.0)]  # fmt: skip
NAMED = [
    ("a place and 'city' in common", KYIV, "@Kyiv", ORCHESTRA, [EXPLOSION], 2),
    ("a person and 'talks' in common", "", "Putin", PUTIN, [XI, TRUMP], 3),
    ("one happening's coverage names the person again", "", "Plosser", PLOSSER[0],
     PLOSSER[1:], 1),
    ("two outlets report one happening", "", "Crimea", CRIMEA, [CRIMEA_AGAIN], 1),
]  # fmt: skip
# After a day's news, "Putin" alone in common (TRUMP) still joins: a lone rare word is how
# most of one happening's headlines join (bench/events_quality.py).
LEARNED = [(f"{c[0]}, after a day's news", *c[1:4], [XI], 2) if c[3] is PUTIN else
           (f"{c[0]}, after a day's news", *c[1:]) for c in NAMED]  # fmt: skip


@pytest.mark.parametrize(
    ("entities", "query", "first", "later", "alerts", "learned"),
    [(*c[1:], False) for c in NAMED] + [(*c[1:], True) for c in LEARNED],
    ids=[c[0] for c in NAMED + LEARNED],
)
async def test_a_name_and_a_common_word_are_not_one_happening(
    feed_server: FeedServer,
    tmp_path: Path,
    entities: str,
    query: str,
    first: Item,
    later: list[Item],
    alerts: int,
    learned: bool,
) -> None:
    other: list[Item] = []
    if learned:
        with shared("uci-news-2014-03", "uci-news-aggregator_2014-03-10_12_slice.csv").open(
            encoding="utf-8", newline=""
        ) as f:
            other = [(r[1], "", 1.0) for r in list(csv.reader(f))[1:601]]
    feed_server.feed("/a", rss("eva", [first]))
    feed_server.feed("/b", rss("evb", []))
    feed_server.feed("/bg", rss("evbg", other))
    async with webhook_receiver() as hook:
        extra = f"""
{entities}
[[rules]]
name = "watch"
query = '{query}'
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{hook.url}"
update_delay = "0s"
"""
        urls = [feed_server.url("/bg"), feed_server.url("/a"), feed_server.url("/b")]
        engine = await Engine.open(make_config(tmp_path, urls, extra=extra))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/b", rss("evb", later))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            new = [p["alert"]["title"] for p in hook.payloads() if p["alert"]["kind"] == "new"]
            assert len(new) == alerts, new
        finally:
            await engine.close()
