"""review20d D4: a feed's own outlet row was dropped (ON CONFLICT DO NOTHING on the name
key) when an aggregator's <source> of the same name came first in the story; renamed later,
the feed became a further outlet of that story. An outlet is its <source> by name, else its
feed: the aggregator's "Wire" and the feed "Wire" are two outlets from the start, and the
feed's rename adds none (at 1fdaf01: 1 outlet, then 2 after the rename, and a burst)."""

from __future__ import annotations

from pathlib import Path

from feedserver import FeedServer
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, telegram_standin
from test_outlet_renamed_feed import RULES, A, B, feed

from monitor.engine import Engine
from monitor.oneshot import poll_all


def agg(items: list[tuple[str, str]]) -> bytes:
    return feed("Agg", items).replace(
        b"</guid>", b'</guid><source url="https://wire.example">Wire</source>'
    )


async def test_renamed_feed_behind_a_source_of_its_name(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    aggu, wire = feed_server.url("/agg"), feed_server.url("/wire")
    feed_server.feed("/agg", agg([(A[0], "https://agg.example/a")]))
    feed_server.feed("/wire", feed("Wire", []))
    async with telegram_standin() as tg:
        extra = RULES.format(token=BOT_TOKEN, chat=CHAT_ID, tg=tg.url, alert_on="story")
        engine = await Engine.open(
            make_config(tmp_path, [aggu, wire], extra=extra, database=database)
        )
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/wire", feed("Wire", [A]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            db = engine.rt.store.db
            before = await db.fetch_all("SELECT id, outlets FROM stories")
            bursts_before = await db.fetch_all("SELECT id FROM alerts WHERE kind = 'burst'")
            feed_server.feed("/wire", feed("Wire Service", [A, B]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            stories = await db.fetch_all("SELECT id, outlets FROM stories")
            rows = await db.fetch_all("SELECT name, feed_id FROM story_outlets")
            bursts = await db.fetch_all("SELECT id FROM alerts WHERE kind = 'burst'")
        finally:
            await engine.close()
    assert len(stories) == 1, stories  # premise: B joined A's story
    # The <source> "Wire" and the feed "Wire": two outlets before the rename and after it.
    assert [tuple(r) for r in before] == [tuple(r) for r in stories], (before, stories)
    assert stories[0][1] == 2, [tuple(r) for r in rows]
    assert sorted(r[1] is None for r in rows) == [False, True], [tuple(r) for r in rows]
    assert len(bursts) == len(bursts_before), list(tg.messages.values())  # none from the rename


async def test_a_feed_naming_itself_in_source_is_one_outlet(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    # review20g D1: feed "Wire" lists A, then B, a copy of A that names "Wire" in <source>:
    # one feed, one outlet, no burst (at 9cd6685: 2 outlets and a burst of one feed).
    wire = feed_server.url("/wire")
    feed_server.feed("/wire", feed("Wire", [A]))
    async with telegram_standin() as tg:
        extra = RULES.format(token=BOT_TOKEN, chat=CHAT_ID, tg=tg.url, alert_on="story")
        engine = await Engine.open(make_config(tmp_path, [wire], extra=extra, database=database))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            guid = b"<guid>" + B[1].encode() + b"</guid>"
            source = b'<source url="https://wire.example">Wire</source>'
            feed_server.feed("/wire", feed("Wire", [A, B]).replace(guid, guid + source))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            stories = await engine.rt.store.db.fetch_all("SELECT outlets FROM stories")
        finally:
            await engine.close()
    assert [r[0] for r in stories] == [1], stories
    assert len(tg.messages) == 1 and "Spreading" not in str(tg.messages), tg.messages
