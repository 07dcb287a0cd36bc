"""review20d: a feed renamed between two stories of one event: the event's alert lists the
one feed twice ("Wire Service — also reported by: Wire")."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

from feedserver import FeedServer
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, telegram_standin

from monitor.engine import Engine
from monitor.oneshot import poll_all

A = ("Putin invites Zelensky to Moscow for peace talks", "https://wire.example/a")
B = (
    "Ukraine's president turns down invitation, proposes Kyiv as venue for meeting with Putin",
    "https://wire.example/b",
)


def feed(title: str, items: list[tuple[str, str]]) -> bytes:
    when = format_datetime(datetime.now(UTC))
    body = "".join(
        f"<item><title>{escape(t)}</title><link>{u}</link><guid>{u}</guid>"
        f"<description>{escape(t)}</description><pubDate>{when}</pubDate></item>"
        for t, u in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>https://wire.example/</link>{body}</channel></rss>"
    ).encode()


RULES = """
[[rules]]
name = "kyiv"
query = 'Kyiv'
alert_on = "event"
channels = ["desk"]

[channels.desk]
type = "telegram"
bot_token = "{token}"
chat_id = "{chat}"
api_base = "{tg}"
rate_limit = "off"
update_delay = "0s"
"""


async def test_renamed_feed_between_stories_of_one_event(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    url = feed_server.url("/wire")
    feed_server.feed("/wire", feed("Wire", [A]))
    async with telegram_standin() as tg:
        extra = RULES.format(token=BOT_TOKEN, chat=CHAT_ID, tg=tg.url)
        engine = await Engine.open(make_config(tmp_path, [url], extra=extra, database=database))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/wire", feed("Wire Service", [A, B]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            db = engine.rt.store.db
            stories = await db.fetch_all("SELECT id, event_id, outlets FROM stories")
            event_rows = await db.fetch_all("SELECT name, feed_id FROM event_outlets")
        finally:
            await engine.close()
    messages = list(tg.messages.values())
    print(stories, event_rows, messages)
    assert len(stories) == 2 and stories[0][1] == stories[1][1], stories  # premise: one event
    assert len(messages) == 1, messages
    assert "also covering" not in messages[0], messages[0]  # one feed listed twice
    assert "2 outlets" not in messages[0], messages[0]


async def test_renamed_feed_is_listed_once_as_the_event_grows(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    """The event's message, updated as another outlet joins, lists the renamed feed once:
    under the name its first item in the event came by, as the event's outlets keep it."""
    url, other = feed_server.url("/wire"), feed_server.url("/other")
    feed_server.feed("/wire", feed("Wire", [A]))
    feed_server.feed("/other", feed("Other", []))
    async with telegram_standin() as tg:
        extra = RULES.format(token=BOT_TOKEN, chat=CHAT_ID, tg=tg.url)
        cfg = make_config(tmp_path, [url, other], extra=extra, database=database)
        engine = await Engine.open(cfg)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/wire", feed("Wire Service", [A, B]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/other", feed("Other", [(B[0], "https://other.example/b")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    messages = list(tg.messages.values())
    assert len(messages) == 1, messages  # the event's one message, edited
    assert "Other" in messages[0], messages[0]  # premise: it grew
    assert messages[0].count("Wire") == 1, messages[0]  # not "Wire Service ... Wire"
    assert "2 outlets" in messages[0], messages[0]
