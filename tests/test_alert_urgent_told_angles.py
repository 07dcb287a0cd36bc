"""The urgent message's angle told once per channel whatever else the first message's update
carries (review14a): an update that adds other angles too goes out without the urgent one's
(after an earlier edit, while another angle's update waits, two angles in one poll in either
feed order, on a webhook with update_delay); a burst message's edit does not repeat it; and
an urgent match that brings no new angle (its item joins a story the event had) holds
nothing back: the angle the update waits with reaches the channel. Through the real
pipeline (local feeds, the Bot API and webhook stand-ins), on both backends."""

from __future__ import annotations

import json
from pathlib import Path

from feedserver import FeedServer
from helpers import make_config
from standins import telegram_standin, webhook_receiver
from test_alert_urgent_told import (
    FIRST,
    LATER,
    THIRD,
    _config,
    _feeds,
    _first_edits,
    _telling_later,
    _text,
)
from test_events_alerts import rss

from monitor.engine import Engine
from monitor.oneshot import poll_all

# The first story again, from another outlet, naming the NSA (the urgent rule's query).
SAME = "NSA: Snowden calls for public oversight of US surveillance practices"
FOURTH = "Lawmakers answer Snowden call for surveillance hearings"


def _hook_text(url: str) -> str:
    return f"""
[[rules]]
name = "snowden-kw"
query = 'Snowden'
channels = ["hook"]

[[rules]]
name = "urgent"
query = 'NSA'
severity = "high"
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{url}"
rate_limit = "off"
update_delay = "1h"
"""


async def test_after_an_earlier_edited_angle_the_urgent_one_is_not_edited_in(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    feed_server.feed("/d", rss("Outlet D", []))
    urls = [*_feeds(feed_server), feed_server.url("/d")]
    async with telegram_standin() as tg:
        engine = await Engine.open(_config(tmp_path, urls, tg.url, database))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            # A second angle (no urgent rule's): the first message is edited to list it.
            feed_server.feed("/c", rss("Outlet C", [(THIRD, "http://c.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20, updates=True)
            assert any(THIRD in t for t in _first_edits(tg)), tg.edits
            n_before = len(_first_edits(tg))
            # Then the urgent angle: its own message tells it.
            feed_server.feed("/b", rss("Outlet B", [(LATER, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20, updates=True)
            n_urgent = len(_first_edits(tg))
            # A fourth angle: the edit that tells it does not list the urgent one either.
            feed_server.feed("/d", rss("Outlet D", [(FOURTH, "http://d.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20, updates=True)
        finally:
            await engine.close()
    assert len(tg.sent) == 2 and LATER in tg.sent[1]["text"]
    later_edits = _first_edits(tg)[n_before:]
    assert _telling_later(later_edits) == 0, later_edits
    # The edit replaces the whole message: the angle told before is still listed.
    assert later_edits and all(THIRD in t for t in later_edits), later_edits
    assert any(FOURTH in t for t in _first_edits(tg)[n_urgent:]), tg.edits


async def _one_poll_two_angles(
    feed_server: FeedServer, tmp_path: Path, database: str, first: str, second: str
) -> tuple[list[str], list[str]]:
    urls = _feeds(feed_server)
    async with telegram_standin() as tg:
        engine = await Engine.open(_config(tmp_path, urls, tg.url, database))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/b", rss("Outlet B", [(first, "http://b.example/1")]))
            feed_server.feed("/c", rss("Outlet C", [(second, "http://c.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20, updates=True)
        finally:
            await engine.close()
    return [m["text"] for m in tg.sent], _first_edits(tg)


async def test_the_urgent_angle_and_another_in_one_poll_either_feed_order(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    # Feeds are polled /a, /b, /c: the other angle's story comes first here.
    sent, edits = await _one_poll_two_angles(feed_server, tmp_path, database, THIRD, LATER)
    assert len(sent) == 2 and LATER in sent[1], sent
    assert _telling_later(edits) == 0, edits
    assert edits and THIRD in edits[-1], edits  # the other angle is told by the edit


async def test_the_urgent_angle_first_then_another_in_one_poll(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    sent, edits = await _one_poll_two_angles(feed_server, tmp_path, database, LATER, THIRD)
    assert len(sent) == 2 and LATER in sent[1], sent
    assert _telling_later(edits) == 0, edits
    assert edits and THIRD in edits[-1], edits


async def test_a_webhook_update_that_waits_with_an_angle_does_not_carry_the_urgent_one(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    urls = _feeds(feed_server)
    async with webhook_receiver() as hook:
        engine = await Engine.open(
            make_config(tmp_path, urls, extra=_hook_text(hook.url), database=database)
        )
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            # Another angle: its update waits out update_delay.
            feed_server.feed("/c", rss("Outlet C", [(THIRD, "http://c.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert not await engine.drain(1)
            # The urgent angle: a message of its own.
            feed_server.feed("/b", rss("Outlet B", [(LATER, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20, updates=True)
        finally:
            await engine.close()
    bodies = [json.dumps(p) for p in hook.payloads()]
    assert len(bodies) == 3, bodies  # the first message, the urgent one, the update
    assert [LATER in b for b in bodies] == [False, True, False], bodies
    update = hook.payloads()[2]
    assert update["new_angles"] == {"headlines": [THIRD], "more": 0}, update


async def test_a_burst_message_is_not_edited_to_tell_the_urgent_angle(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    urls = _feeds(feed_server)
    async with telegram_standin() as tg:
        extra = _text(tg.url).replace(
            'channels = ["desk"]\n',
            'channels = ["desk"]\nburst = { outlets = 2, within = "1h" }\n',
            1,
        )
        engine = await Engine.open(make_config(tmp_path, urls, extra=extra, database=database))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/c", rss("Outlet C", [(FIRST, "http://c.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20, updates=True)
            assert len(tg.sent) == 2, tg.sent  # the new message and the burst
            feed_server.feed("/b", rss("Outlet B", [(LATER, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20, updates=True)
        finally:
            await engine.close()
    assert len(tg.sent) == 3 and LATER in tg.sent[2]["text"], tg.sent
    urgent_id = 3  # the stand-in numbers messages from 1
    repeats = [e["text"] for e in tg.edits if int(e["message_id"]) != urgent_id]
    assert _telling_later(repeats) == 0, repeats


async def test_an_urgent_match_without_a_new_angle_holds_back_no_angle_on_a_webhook(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    urls = _feeds(feed_server)
    async with webhook_receiver() as hook:
        engine = await Engine.open(
            make_config(tmp_path, urls, extra=_hook_text(hook.url), database=database)
        )
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/c", rss("Outlet C", [(THIRD, "http://c.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert not await engine.drain(1)  # the update (THIRD) waits out update_delay
            # The urgent rule matches an item of the first story: no new angle.
            feed_server.feed("/b", rss("Outlet B", [(SAME, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20, updates=True)
        finally:
            await engine.close()
    updates = [p for p in hook.payloads() if p["alert"]["kind"] == "update"]
    assert [u["new_angles"]["headlines"] for u in updates] == [[THIRD]], hook.payloads()


async def test_an_urgent_match_without_a_new_angle_holds_back_no_angle_on_telegram(
    feed_server: FeedServer, tmp_path: Path, database: str
) -> None:
    urls = _feeds(feed_server)
    async with telegram_standin() as tg:
        extra = _text(tg.url).replace('update_delay = "0s"\n', "")  # the default: 60 s
        engine = await Engine.open(make_config(tmp_path, urls, extra=extra, database=database))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/c", rss("Outlet C", [(THIRD, "http://c.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert not await engine.drain(1)  # the edit telling THIRD waits out update_delay
            feed_server.feed("/b", rss("Outlet B", [(SAME, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20, updates=True)
        finally:
            await engine.close()
    assert any(THIRD in t for t in _first_edits(tg)), (tg.sent, tg.edits)
