"""Stories close in time fold into one event on weaker evidence, through the real pipeline
(local feeds, a webhook receiver): "close" is when the news happened, as far as the items
tell. On a feed's first poll every undated item is first seen at once, whenever it was
published: two pieces of news that share two names ("Putin", "Moscow") each get their own
alert, as items dated days apart do; a real event's coverage still folds into one alert,
dated on a first poll, undated on a poll that follows another, and an old story's
follow-up an hour later joins it."""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import aiosqlite
import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import webhook_receiver

from monitor.engine import Engine
from monitor.oneshot import poll_all

NOW = datetime.now(UTC)
# headline, its date (None: undated)
Item = tuple[str, datetime | None]

# The user trial's two pieces of news (the shared words: putin, moscow)
BOLSONARO = "Bolsonaro meets Putin in Moscow despite US warnings"
INVITE = "Putin invites Zelensky to Moscow for talks, Kremlin says"
RAIN = "Heavy rain floods roads across the north of England"
# One happening, as several outlets told it (the seed story, 5 Sep 2025): each joins the
# first on the bar for coverage within the hour (two to three words in common)
SEED = [
    "Putin's Moscow invitation to Zelensky for talks and not surrender - Kremlin",
    "Putin invites Zelensky to Moscow for peace talks",
    "Ukraine's president turns down invitation, proposes Kyiv as venue for meeting with Putin",
    "Kremlin spokesman Peskov says Moscow offer to Zelensky stands",
]
DAYS = NOW - timedelta(days=3)

# (case, each feed's items at its first poll, the feeds' items at a second poll (None: no
# second poll), the headlines of the "new" alerts of rule "Putin OR Zelensky")
CASES = [
    ("the trial: one feed undated, one dated a year ahead", [[(BOLSONARO, None)],
     [(INVITE, NOW + timedelta(days=365))]], None, [BOLSONARO, INVITE]),
    ("one feed, both undated", [[(INVITE, None), (BOLSONARO, None)]], None,
     [BOLSONARO, INVITE]),
    ("a feed that stamps every item with one date",
     [[(INVITE, NOW), (RAIN, NOW), (BOLSONARO, NOW)]], None, [BOLSONARO, INVITE]),
    ("published days apart, newest first",
     [[(INVITE, NOW - timedelta(hours=1)), (BOLSONARO, DAYS)]], None, [BOLSONARO, INVITE]),
    ("an old story's follow-up published 40 minutes after it",
     [[(SEED[3], DAYS + timedelta(minutes=40)), (SEED[1], DAYS)]], None, [SEED[3]]),
    ("one happening told by four outlets, dated",
     [[(t, NOW - timedelta(minutes=5 * i))] for i, t in enumerate(SEED)], None, [SEED[0]]),
    ("one happening told by four outlets, undated, on a poll after their first",
     [[(RAIN, None)] for _ in SEED], [[(t, None), (RAIN, None)] for t in SEED], [SEED[0]]),
]  # fmt: skip


def rss(name: str, items: list[Item]) -> bytes:
    entries = "".join(
        f"<item><title>{escape(title)}</title><link>http://{name}.example/{abs(hash(title))}"
        "</link>" + (f"<pubDate>{format_datetime(when)}</pubDate>" if when else "") + "</item>"
        for title, when in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{name}'
        f"</title><link>http://{name}.example/</link>{entries}</channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    ("first", "second", "told"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
async def test_only_news_close_in_time_folds_on_weak_evidence(
    feed_server: FeedServer,
    tmp_path: Path,
    first: list[list[Item]],
    second: list[list[Item]] | None,
    told: list[str],
) -> None:
    for n, items in enumerate(first):
        feed_server.feed(f"/f{n}", rss(f"outlet{n}", items))
    async with webhook_receiver() as hook:
        extra = f"""
[[rules]]
name = "watch"
query = "Putin OR Zelensky"
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{hook.url}"
update_delay = "0s"
"""
        urls = [feed_server.url(f"/f{n}") for n in range(len(first))]
        engine = await Engine.open(make_config(tmp_path, urls, extra=extra))
        try:
            await poll_all(engine.rt, progress=False)
            for n, items in enumerate(second or []):
                feed_server.feed(f"/f{n}", rss(f"outlet{n}", items))
            if second:
                await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            new = [p["alert"] for p in hook.payloads() if p["alert"]["kind"] == "new"]
            # each piece of news in a message of its own, under its own headline
            said = sorted(alert["title"] for alert in new)
            assert len(said) == len(told), said
            assert all(h.startswith(t) for t, h in zip(said, sorted(told), strict=True)), said
        finally:
            await engine.close()


T0 = 1_800_000_000.0
HOOK_RULE = """
[[rules]]
name = "watch"
query = "Putin OR Zelensky"
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{url}"
update_delay = "0s"
"""
AT = datetime.fromtimestamp(T0, UTC)
BEFORE = [
    (RAIN, AT - timedelta(hours=2)),
    ("Markets close higher on tech", AT - timedelta(hours=3)),
]
def fillers(n: int) -> list[str]:
    """``n`` headlines of made-up words, sharing none with each other or the news here."""
    rng = random.Random(7)
    return [
        " ".join("".join(rng.choice(string.ascii_lowercase) for _ in range(9)).title()
                 for _ in range(5))
        for _ in range(n)
    ]  # fmt: skip


ONE_SECOND = AT + timedelta(minutes=60)  # an aggregator's crawl: three copies, one date
# a feed that stamps its first poll's 101 items with one date, BOLSONARO last
STAMPED = [(t, AT - timedelta(minutes=5)) for t in [*fillers(100), BOLSONARO]]
# (feeds at the first poll, minutes until the second, feeds at it, whether the daemon
# restarts between, the number of "new" alerts). Found by review18b.
LATER = [
    pytest.param([[(RAIN, None)] for _ in SEED], 65, [[(t, None), (RAIN, None)] for t in SEED],
                 False, 1, id="undated coverage found 65 minutes after the last poll folds"),
    pytest.param([BEFORE], 65, [[(t, ONE_SECOND) for t in SEED[:3]] + BEFORE], False, 1,
                 id="an aggregator's crawl dated in one second, 65 minutes on, folds"),
    pytest.param([[(BOLSONARO, None)], [(RAIN, None)]], 10,
                 [[(BOLSONARO, None)], [(INVITE, None), (RAIN, None)]], False, 2,
                 id="an undated story is not within the hour of a cold start's undated one"),
    pytest.param([[(BOLSONARO, None)], [(RAIN, None)]], 10,
                 [[(BOLSONARO, None)], [(INVITE, None), (RAIN, None)]], True, 2,
                 id="... nor after a restart"),
    # review19a: decided per slice of a hundred items, the 101st of a stamped first poll,
    # alone in its slice, looked dated and folded the story live, not after a restart
    pytest.param([STAMPED, [BEFORE[0]]], 10, [STAMPED, [(INVITE, AT + timedelta(minutes=5)),
                 BEFORE[0]]], False, 2, id="a stamped first poll of 101 items is untimed whole"),
    pytest.param([STAMPED, [BEFORE[0]]], 10, [STAMPED, [(INVITE, AT + timedelta(minutes=5)),
                 BEFORE[0]]], True, 2, id="... after a restart too"),
]  # fmt: skip


@pytest.mark.parametrize(("first", "minutes", "second", "restart", "alerts"), LATER)
async def test_a_later_poll_takes_its_items_at_their_time(
    feed_server: FeedServer,
    tmp_path: Path,
    first: list[list[Item]],
    minutes: int,
    second: list[list[Item]],
    restart: bool,
    alerts: int,
) -> None:
    """Only a feed's first poll makes its undated (or stamped) items untimed: a feed read
    hourly or less often finds an hour's news undated, and its copies of one happening fold
    (an item found more than an hour after the last poll was taken as untimed: one alert
    per outlet); an aggregator's one-second crawl is taken at its date."""
    clock = [T0]
    for n, items in enumerate(first):
        feed_server.feed(f"/f{n}", rss(f"outlet{n}", items))
    async with webhook_receiver() as hook:
        urls = [feed_server.url(f"/f{n}") for n in range(len(first))]
        config = make_config(tmp_path, urls, extra=HOOK_RULE.format(url=hook.url))
        engine = await Engine.open(config, clock=lambda: clock[0])
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            if restart:
                await engine.close()
                engine = await Engine.open(config, clock=lambda: clock[0])
            clock[0] += minutes * 60
            for n, items in enumerate(second):
                feed_server.feed(f"/f{n}", rss(f"outlet{n}", items))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            said = sorted(
                p["alert"]["title"] for p in hook.payloads() if p["alert"]["kind"] == "new"
            )
            assert len(said) == alerts, said
        finally:
            await engine.close()


async def test_a_store_from_before_the_mark_takes_its_items_at_their_time(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """A store the version before ``items.untimed`` made, upgraded and restarted within the
    hour: its items are taken at their time, as a plain restart takes them. review19a: a
    guess at which stored items came on a feed's first poll (its earliest first sight) took
    a feed that listed nothing at first for its second poll's, and an undated story the next
    poll found was split from the one it folded into before the upgrade."""
    clock = [T0]
    feed_server.feed("/f0", rss("outlet0", []))  # an empty feed when added
    feed_server.feed("/f1", rss("outlet1", [(RAIN, AT - timedelta(hours=2))]))
    async with webhook_receiver() as hook:
        urls = [feed_server.url("/f0"), feed_server.url("/f1")]
        config = make_config(tmp_path, urls, extra=HOOK_RULE.format(url=hook.url))
        engine = await Engine.open(config, clock=lambda: clock[0])
        try:
            await poll_all(engine.rt, progress=False)  # first polls: f0 lists nothing
            clock[0] += 5 * 60
            feed_server.feed("/f0", rss("outlet0", [(BOLSONARO, None)]))
            await poll_all(engine.rt, progress=False)  # f0's second poll: at its time
            assert await engine.drain(20)
        finally:
            await engine.close()
        # as the version before left it: the same schema without the column, m020 not applied
        async with aiosqlite.connect(tmp_path / "monitor.db") as db:
            await db.execute("ALTER TABLE items DROP COLUMN untimed")
            await db.execute("DELETE FROM migrations WHERE name = 'm020_item_untimed'")
            await db.commit()
        engine = await Engine.open(config, clock=lambda: clock[0])  # the upgrade
        try:
            clock[0] += 10 * 60
            feed_server.feed(
                "/f1", rss("outlet1", [(INVITE, None), (RAIN, AT - timedelta(hours=2))])
            )
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    said = sorted(p["alert"]["title"] for p in hook.payloads() if p["alert"]["kind"] == "new")
    assert len(said) == 1 and said[0].startswith(BOLSONARO), said




async def test_a_first_poll_the_store_refused_is_still_first_when_retried(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """A cold start whose first polls the database refuses as they record the feeds' first
    success (a trigger stands in for the fault), then takes a minute later: the retried polls
    are still the feeds' first, and two undated pieces of news sharing two names get an alert
    each (review19b: the success stayed in memory after the rollback, the retry took the
    items at their first sight and folded them into one alert)."""
    clock = [T0]
    feed_server.feed("/f0", rss("outlet0", [(BOLSONARO, None)]))
    feed_server.feed("/f1", rss("outlet1", [(INVITE, None)]))
    async with webhook_receiver() as hook:
        urls = [feed_server.url("/f0"), feed_server.url("/f1")]
        config = make_config(tmp_path, urls, extra=HOOK_RULE.format(url=hook.url))
        engine = await Engine.open(config, clock=lambda: clock[0])
        try:
            await engine.rt.store.db.execute(
                "CREATE TRIGGER refuse AFTER UPDATE OF last_success ON feeds"
                " BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END"
            )
            await poll_all(engine.rt, progress=False)  # refused: nothing of them is kept
            assert await engine.rt.store.db.fetch_all("SELECT id FROM items") == []
            await engine.rt.store.db.execute("DROP TRIGGER refuse")
            clock[0] += 60
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    said = sorted(p["alert"]["title"] for p in hook.payloads() if p["alert"]["kind"] == "new")
    assert len(said) == 2, said
