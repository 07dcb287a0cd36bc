"""An event's message went out on the Telegram channel for a normal rule; a later story of
the event matches a rule more urgent than that message, which sends its own message for it.
The reader gets that angle once on the channel: the first message's update of the same
growth waits for the urgent message and is dropped once that is sent (and a later growth's
edit does not list the angle again); if the urgent message fails for good, the update goes
out after all, so the angle is not lost. Through the real pipeline (local feeds, the Bot API
stand-in), on both backends, and across a restart between the poll and the sends."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
from pathlib import Path

from clirun import start_node
from feedserver import FeedServer
from helpers import config_file, make_config
from standins import BOT_TOKEN, CHAT_ID, TelegramStandIn, telegram_standin, tg_error
from test_events_alerts import rss

from monitor.config import Config
from monitor.engine import Engine
from monitor.oneshot import poll_all

FIRST = "Snowden calls for public oversight of US surveillance practices"
LATER = "NSA leaker Snowden says surveillance reform is not enough"
THIRD = "Snowden urges Congress to hold public hearings on US surveillance"


def _config(tmp_path: Path, urls: list[str], tg_url: str, database: str) -> Config:
    return make_config(tmp_path, urls, extra=_text(tg_url), database=database)


def _text(tg_url: str) -> str:
    return f"""
[[rules]]
name = "snowden-kw"
query = 'Snowden'
channels = ["desk"]

[[rules]]
name = "urgent"
query = 'NSA'
severity = "high"
channels = ["desk"]

[channels.desk]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{tg_url}"
rate_limit = "off"
update_delay = "0s"
retry_initial = "1s"
retry_max = "1s"
"""


def _feeds(feed_server: FeedServer) -> list[str]:
    feed_server.feed("/a", rss("Outlet A", [(FIRST, "http://a.example/1")]))
    feed_server.feed("/b", rss("Outlet B", []))
    feed_server.feed("/c", rss("Outlet C", []))
    return [feed_server.url(p) for p in ("/a", "/b", "/c")]


def _first_edits(tg: TelegramStandIn) -> list[str]:
    """The edits of the event's first message (the urgent one's own are edited as well)."""
    return [e["text"] for e in tg.edits if int(e["message_id"]) == 1]


def _telling_later(texts: list[str]) -> int:
    return sum(LATER in t for t in texts)


async def test_the_urgent_message_alone_tells_the_angle_and_later_edits_do_not_repeat_it(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    urls = _feeds(feed_server)
    async with telegram_standin() as tg:
        engine = await Engine.open(_config(tmp_path, urls, tg.url, database))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/b", rss("Outlet B", [(LATER, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20, updates=True)
            assert len(tg.sent) == 2 and LATER in tg.sent[1]["text"]
            # Before: the first message was edited to tell the same angle 0-3 s later.
            assert _telling_later(_first_edits(tg)) == 0, tg.edits
            # The event grows again (an outlet more): the edit of the first message says so,
            # and does not list the urgent message's angle as new.
            feed_server.feed("/c", rss("Outlet C", [(FIRST, "http://c.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20, updates=True)
        finally:
            await engine.close()
    assert len(tg.sent) == 2
    assert _first_edits(tg) and "Outlet C" in _first_edits(tg)[-1], tg.edits
    assert _telling_later(_first_edits(tg)) == 0, _first_edits(tg)


async def test_the_angle_still_reaches_the_channel_when_the_urgent_message_fails_for_good(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    urls = _feeds(feed_server)
    async with telegram_standin() as tg:
        engine = await Engine.open(_config(tmp_path, urls, tg.url, database))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/b", rss("Outlet B", [(LATER, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)
            # The urgent message is refused for good (a 4xx about the request itself).
            tg.script = [tg_error(400, "Bad Request: can't parse entities")]
            assert await engine.drain(20, updates=True)
        finally:
            await engine.close()
    assert len(tg.sent) == 1 and tg.script == []
    # The update of the first message tells the angle instead, once.
    assert _telling_later(_first_edits(tg)) == 1, tg.edits
    assert LATER in tg.messages[1]


async def test_a_retried_urgent_message_keeps_the_update_waiting_until_it_is_sent(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    urls = _feeds(feed_server)
    async with telegram_standin() as tg:
        engine = await Engine.open(_config(tmp_path, urls, tg.url, database))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/b", rss("Outlet B", [(LATER, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)
            # Telegram is down for the first try: the urgent message waits out its back-off,
            # and the update waits for it rather than tell the angle meanwhile.
            tg.script = [tg_error(502, "Bad Gateway")]
            assert await engine.drain(20, updates=True)
        finally:
            await engine.close()
    assert len(tg.sent) == 2 and LATER in tg.sent[1]["text"]
    assert _telling_later(_first_edits(tg)) == 0, tg.edits


async def test_a_restart_between_the_poll_and_the_sends_loses_and_doubles_nothing(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    urls = _feeds(feed_server)
    async with telegram_standin() as tg:
        config = _config(tmp_path, urls, tg.url, database)
        engine = await Engine.open(config)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/b", rss("Outlet B", [(LATER, "http://b.example/1")]))
            # The urgent alert and the update that waits for it are stored with the poll;
            # the process stops before either is sent.
            await poll_all(engine.rt, progress=False)
        finally:
            await engine.close()
        assert len(tg.sent) == 1 and not tg.edits
        # The next start decides again what waits (every held alert is made due): the
        # update still waits for the urgent message, which goes first.
        engine = await Engine.open(config)
        try:
            assert await engine.drain(20, updates=True)
            feed_server.feed("/c", rss("Outlet C", [(FIRST, "http://c.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20, updates=True)
        finally:
            await engine.close()
    assert len(tg.sent) == 2 and LATER in tg.sent[1]["text"]
    assert _first_edits(tg) and "Outlet C" in _first_edits(tg)[-1], tg.edits
    assert _telling_later(_first_edits(tg)) == 0, tg.edits


async def test_an_angle_that_came_while_the_update_waited_is_told_without_the_urgent_one(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    urls = _feeds(feed_server)
    async with telegram_standin() as tg:
        engine = await Engine.open(_config(tmp_path, urls, tg.url, database))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/b", rss("Outlet B", [(LATER, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)
            # Before the urgent message goes, another angle comes (no urgent rule's): the
            # waiting update is refreshed with it, and still waits.
            feed_server.feed("/c", rss("Outlet C", [(THIRD, "http://c.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20, updates=True)
        finally:
            await engine.close()
    assert len(tg.sent) == 2 and LATER in tg.sent[1]["text"]
    (edit,) = _first_edits(tg)
    assert THIRD in edit and "3 angles" in edit and LATER not in edit, edit


def _retries(db_path: Path) -> int:
    with sqlite3.connect(db_path) as db:
        (count,) = db.execute(
            "SELECT COUNT(*) FROM alert_attempts WHERE outcome = 'retry'"
        ).fetchone()
    return int(count)


async def test_kill_9_while_the_urgent_message_waits_to_be_retried_then_a_restart(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    urls = _feeds(feed_server)
    db_path = tmp_path / "monitor.db"
    async with telegram_standin() as tg:
        config = _config(tmp_path, urls, tg.url, str(db_path))
        engine = await Engine.open(config)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/b", rss("Outlet B", [(LATER, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)
        finally:
            await engine.close()
        # The daemon starts while Telegram is down: the urgent message fails and waits out
        # its back-off, the update waits for it; the daemon is killed -9 there.
        tg.script = [tg_error(502, "Bad Gateway")] * 1000
        path = config_file(tmp_path, urls, extra=_text(tg.url), database=str(db_path))
        proc = await start_node(path)
        try:
            deadline = time.monotonic() + 30
            while _retries(db_path) < 1:
                assert proc.returncode is None, "the daemon died on its own"
                assert time.monotonic() < deadline, "the daemon never tried to deliver"
                await asyncio.sleep(0.05)
        finally:
            proc.send_signal(signal.SIGKILL)
            await proc.communicate()
        assert proc.returncode == -signal.SIGKILL
        tg.script = []
        assert len(tg.sent) == 1 and not tg.edits
        engine = await Engine.open(config)
        try:
            assert await engine.drain(20, updates=True)
        finally:
            await engine.close()
    assert len(tg.sent) == 2 and LATER in tg.sent[1]["text"]
    assert _telling_later(_first_edits(tg)) == 0, tg.edits
