"""A feed whose name changes (its own <title>, with no name configured, or its name in the
config) stays one outlet of a story or an event it carried before and after: counting
outlets by name (m021) made it two, "Wire — also reported by: Wire Service", the story's
outlets 2 and a burst rule (2 outlets) firing on one feed alone (review20a D2). An item
without <source> is its feed's outlet there under the name that outlet came by. Live and
across a restart, on both backends, through the Bot API stand-in a user reads."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, telegram_standin

from monitor.cluster.assigner import Assigner, queue_for_assigner
from monitor.cluster.election import Term
from monitor.config import Config
from monitor.engine import Engine
from monitor.oneshot import poll_all
from monitor.store import cluster as cluster_store

A = ("Kremlin says Putin invited Zelensky to Moscow for peace talks", "https://wire.example/a")
B = (
    "Kremlin says Putin invited Zelensky to Moscow for peace talks today",
    "https://wire.example/b",
)


def feed(title: str, items: list[tuple[str, str]]) -> bytes:
    body = "".join(
        f"<item><title>{t}</title><link>{u}</link><guid>{u}</guid>"
        f"<pubDate>Fri, 05 Sep 2025 14:0{n}:00 GMT</pubDate></item>"
        for n, (t, u) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://wire.example/</link>{body}</channel></rss>"
    ).encode()


RULES = """
[[rules]]
name = "talks"
query = 'Putin AND Zelensky'
alert_on = "{alert_on}"
channels = ["desk"]
burst = {{ outlets = 2, within = "1h" }}

[channels.desk]
type = "telegram"
bot_token = "{token}"
chat_id = "{chat}"
api_base = "{tg}"
rate_limit = "off"
update_delay = "0s"
"""


@pytest.mark.parametrize("alert_on", ["story", "event"])
@pytest.mark.parametrize("restart", [False, True], ids=["live", "restart"])
@pytest.mark.parametrize("renamed", ["title", "config"])
async def test_a_renamed_feed_is_one_outlet(
    feed_server: FeedServer,
    tmp_path: Path,
    database: str,
    renamed: str,
    restart: bool,
    alert_on: str,
) -> None:
    url = feed_server.url("/wire")
    by_title = renamed == "title"
    feed_server.feed("/wire", feed("Wire" if by_title else "Ignored", [A]))
    async with telegram_standin() as tg:
        extra = RULES.format(token=BOT_TOKEN, chat=CHAT_ID, tg=tg.url, alert_on=alert_on)

        def config(name: str) -> Config:
            if by_title:
                return make_config(tmp_path, [url], extra=extra, database=database)
            named = f'[[feeds]]\nurl = "{url}"\nname = "{name}"\n'
            return make_config(tmp_path, [], extra=named + extra, database=database)

        engine = await Engine.open(config("Wire"))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            if by_title:
                feed_server.feed("/wire", feed("Wire Service", [A, B]))
            else:
                feed_server.feed("/wire", feed("Ignored", [A, B]))
            if restart or not by_title:  # a config's new name: the daemon reads it anew
                await engine.close()
                engine = await Engine.open(config("Wire Service"))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            db = engine.rt.store.db
            stories = await db.fetch_all("SELECT id, outlets FROM stories")
            story_rows = await db.fetch_all("SELECT name FROM story_outlets")
            event_rows = await db.fetch_all("SELECT name FROM event_outlets")
        finally:
            await engine.close()
    messages = list(tg.messages.values())
    assert len(stories) == 1, stories  # B joined A's story (the premise)
    assert len(messages) == 1, messages  # no burst of "2 outlets" from one feed
    assert "also reported by" not in messages[0], messages[0]
    assert "Wire Service" not in messages[0], messages[0]
    assert stories[0][1] == 1, stories  # one feed: one outlet (was 2)
    assert [tuple(r) for r in story_rows] == [("Wire",)], story_rows
    assert [tuple(r) for r in event_rows] == [("Wire",)], event_rows


async def test_a_renamed_feed_is_one_outlet_through_the_cluster_assigner(
    feed_server: FeedServer, tmp_path: Path, pg_url: str
) -> None:
    """The same on a cluster: one node polls (its items wait in the assigner's queue), the
    assigner files them, before and after the feed's <title> changed."""
    url = feed_server.url("/wire")
    feed_server.feed("/wire", feed("Wire", [A]))
    async with telegram_standin() as tg:
        extra = RULES.format(token=BOT_TOKEN, chat=CHAT_ID, tg=tg.url, alert_on="story")
        config = make_config(tmp_path, [url], extra=extra, database=pg_url)
        conn = await asyncpg.connect(pg_url)
        try:
            await cluster_store.ensure_schema(conn)
            node = await cluster_store.register(conn, "node-b", 4243)
            epoch = await cluster_store.take_role(conn, "assigner", node)
            for title, items in (("Wire", [A]), ("Wire Service", [A, B])):
                feed_server.feed("/wire", feed(title, items))
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
                    assert await lead._round(Term("assigner", epoch, node)) > 0
                    assert await assigner.drain(20)
                finally:
                    await assigner.close()
        finally:
            await conn.close()
    messages = list(tg.messages.values())
    assert len(messages) == 1, messages  # no burst of "2 outlets" from one feed
    assert "also reported by" not in messages[0], messages[0]
