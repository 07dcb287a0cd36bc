"""An outlet's name is a key of a story's and an event's outlets (``story_outlets``,
``event_outlets``: (owner, name)), and PostgreSQL refuses a btree entry over 2,704 bytes. A
6,000-character <source> (or a feed's own <title>, with no name configured) failed the
feed's whole poll at every poll (its good items never stored nor alerted) and, on a
cluster, the assigner's every round, so no feed's items were alerted any more (review20a
D1). The name is cut where it is made (``models.outlet_name``): the feed's good item is
stored and alerted, on both backends and through the assigner."""

from __future__ import annotations

import random
import string
from pathlib import Path

import asyncpg
from feedserver import FeedServer
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, telegram_standin

from monitor.cluster.assigner import Assigner, queue_for_assigner
from monitor.cluster.election import Term
from monitor.engine import Engine
from monitor.oneshot import poll_all
from monitor.store import cluster as cluster_store

LONG = "".join(random.Random(7).choices(string.ascii_letters + string.digits, k=6000))


def feed(items: list[tuple[str, str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>{u}</link><guid>{u}</guid>"
        f"<pubDate>Fri, 05 Sep 2025 14:0{n}:00 GMT</pubDate>"
        + (f'<source url="https://x.example">{s}</source>' if s else "")
        + "</item>"
        for n, (t, u, s) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Agg</title><link>https://agg.example/</link>{body}</channel></rss>"
    ).encode()


RULES = """
[[rules]]
name = "talks"
query = 'Putin AND Zelensky'
alert_on = "story"
channels = ["desk"]

[channels.desk]
type = "telegram"
bot_token = "{token}"
chat_id = "{chat}"
api_base = "{tg}"
rate_limit = "off"
"""

GOOD = ("Putin invites Zelensky to Moscow for peace talks", "https://agg.example/1", "Reuters")
ODD = ("Storm closes the harbour for a week", "https://agg.example/2", LONG)


async def test_a_long_source_loses_nothing_else(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    feed_server.feed("/agg", feed([GOOD, ODD]))
    async with telegram_standin() as tg:
        extra = RULES.format(token=BOT_TOKEN, chat=CHAT_ID, tg=tg.url)
        config = make_config(tmp_path, [feed_server.url("/agg")], extra=extra, database=database)
        engine = await Engine.open(config)
        try:
            outcomes = await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    assert len(tg.messages) == 1, (outcomes, tg.messages)  # PostgreSQL: 0, the poll failed


async def test_a_long_source_does_not_stop_the_cluster_assigner(
    feed_server: FeedServer, pg_url: str, tmp_path: Path
) -> None:
    feed_server.feed("/agg", feed([ODD]))
    feed_server.feed("/wire", feed([GOOD]))
    async with telegram_standin() as tg:
        extra = RULES.format(token=BOT_TOKEN, chat=CHAT_ID, tg=tg.url)
        urls = [feed_server.url("/agg"), feed_server.url("/wire")]
        config = make_config(tmp_path, urls, extra=extra, database=pg_url)
        conn = await asyncpg.connect(pg_url)
        try:
            await cluster_store.ensure_schema(conn)
            node = await cluster_store.register(conn, "node-b", 4243)
            epoch = await cluster_store.take_role(conn, "assigner", node)
            poller = await Engine.open(config)
            try:
                poller.rt.assign = queue_for_assigner
                await poll_all(poller.rt, progress=False)
            finally:
                await poller.close()
            assigner = await Engine.open(config)
            try:
                lead = Assigner(assigner.rt, lambda: None)
                assigner.rt.stages.invalidate(failed=False)
                await lead._round(Term("assigner", epoch, node))  # raised
                assert await assigner.drain(20)
            finally:
                await assigner.close()
        finally:
            await conn.close()
    assert len(tg.messages) == 1, tg.messages


async def test_a_long_feed_title_loses_nothing(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    """The same with no <source>: a feed without a configured name is named by its own
    <title>, the outlet's key too."""
    body = feed([(*GOOD[:2], "")]).replace(b"<title>Agg</title>", f"<title>{LONG}</title>".encode())
    feed_server.feed("/agg", body)
    async with telegram_standin() as tg:
        extra = RULES.format(token=BOT_TOKEN, chat=CHAT_ID, tg=tg.url)
        config = make_config(tmp_path, [feed_server.url("/agg")], extra=extra, database=database)
        engine = await Engine.open(config)
        try:
            outcomes = await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    assert len(tg.messages) == 1, (outcomes, tg.messages)
