"""A message sent while its story or event grows: what is recorded as sent is what went out,
and the growth that came meanwhile goes out after it, as the update it would have been had it
come a moment later. A poll grows the story while a channel has the message in hand (on one
node, between the worker's read and its record); on PostgreSQL, another node's poll that read
the alert pending is in flight while the sender records it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from helpers import poll_grows_event, poll_grows_story, until_waiting
from pydantic import TypeAdapter
from standins import (
    BOT_TOKEN,
    CHAT_ID,
    add_outlets,
    serve_app,
    store_story,
    telegram_standin,
    webhook_receiver,
)

from monitor.channels import build_channels
from monitor.channels.config import ChannelConfig
from monitor.models import Alert, Event, Story
from monitor.outbox import Deliverer
from monitor.outbox.grow import on_grown
from monitor.outbox.upkeep import follow_up
from monitor.store import Store, grown
from monitor.store import alerts as alert_rows
from monitor.store.db import Db
from monitor.store.pgdb import PgConnDb

TITLE = "Zorblat shares jump after quarterly profit beats forecasts"
FAST = {"retry_initial": "20ms", "retry_max": "100ms", "update_delay": "0s", "rate_limit": "off"}
NOW = datetime.now(UTC)


def _channel(**data: Any) -> Any:
    return TypeAdapter(ChannelConfig).validate_python({**FAST, **data})


def _event(outlets: tuple[str, ...], angles: int = 0) -> Event:
    """Event 7 as a poll sees it: ``angles`` stories, or one per outlet."""
    stories = angles or len(outlets)
    return Event(7, TITLE, NOW, NOW, stories=stories, outlets=outlets, latest=TITLE)


async def _event_alert(db: Db) -> int:
    """Story 1 of event 7 and its pending "new" alert per event on channel c0, showing One."""
    await db.execute("INSERT INTO events (id, title, first_seen, last_seen) VALUES (7, 'z', 0, 0)")
    await db.execute(
        "INSERT INTO stories (id, title, first_seen, last_seen, outlets, event_id)"
        " VALUES (1, 'z', 0, 0, 1, 7)"
    )
    alert = Alert(id=0, channel="c0", kind="new", title=TITLE, rule="r", story_id=1,
                  outlets=("One",), extra={"angles": "1"}, event_id=7)  # fmt: skip
    alert_id = await alert_rows.insert(db, alert, dedup_key="event:7:r", now=time.time() - 1)
    assert alert_id is not None
    return alert_id


def _first_call(path_end: str, work: Callable[[], Awaitable[None]]) -> Any:
    """A middleware that runs ``work`` (a poll) while the first request to ``path_end`` is
    in hand, before the channel answers it."""
    done = asyncio.Event()

    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path.endswith(path_end) and not done.is_set():
            done.set()
            await work()
        return await handler(request)  # type: ignore[no-any-return]

    return middleware


def _webhook_saw(receiver: Any) -> list[tuple[str, list[str]]]:
    return [(p["alert"]["kind"], p["alert"]["outlets"]) for p in receiver.payloads()]


def _telegram_saw(standin: Any) -> list[tuple[str, list[str]]]:
    return [("new", [m["text"]]) for m in standin.sent] + [
        ("update", [e["text"]]) for e in standin.edits
    ]


@pytest.mark.parametrize("kind", ["webhook", "telegram"])
async def test_growth_during_a_send_goes_out_after_it(database: str, kind: str) -> None:
    """Event 7 gains an angle (Two) while its alert is in the channel's hands: the user gets
    the alert as it was read (One), then an update with Two: a message of its own on a
    webhook, an edit in Telegram; the alert is recorded as it went out."""
    store = await Store.open(database)
    try:
        async with store.transaction() as db:
            alert_id = await _event_alert(db)

        async def grow() -> None:
            async with store.transaction() as db:
                await poll_grows_event(db, _event(("One", "Two")))

        async with aiohttp.ClientSession() as session:
            if kind == "webhook":
                async with webhook_receiver() as receiver:
                    app = receiver.app()
                    app.middlewares.append(_first_call("/s3cr3t-path", grow))
                    async with serve_app(app) as url:
                        config = _channel(type="webhook", url=url + "/hook/s3cr3t-path")
                        deliverer = Deliverer(store, build_channels({"c0": config}, session))
                        assert await deliverer.drain(20.0, updates=True)
                    saw = _webhook_saw(receiver)
                    assert saw == [("new", ["One"]), ("update", ["One", "Two"])], saw
            else:
                async with telegram_standin() as standin:
                    app = standin.app()
                    app.middlewares.append(_first_call("/sendMessage", grow))
                    async with serve_app(app) as url:
                        config = _channel(type="telegram", bot_token=BOT_TOKEN, chat_id=CHAT_ID,
                                          api_base=url)  # fmt: skip
                        deliverer = Deliverer(store, build_channels({"c0": config}, session))
                        assert await deliverer.drain(20.0, updates=True)
                    saw = _telegram_saw(standin)
                    assert len(saw) == 2 and "Two" not in saw[0][1][0], saw
                    assert "Two" in standin.messages[1], standin.messages
        shown = await alert_rows.current(store.db, alert_id)
        assert shown is not None and json.loads(shown[0])["outlets"] == ["One"], shown
    finally:
        await store.close()


async def test_an_outlet_more_during_a_webhook_update_sends_nothing_more(database: str) -> None:
    """Event 7's webhook message told One; the event gains an angle (Two), and while that
    update is in the channel's hands it gains an outlet (Three) but no angle: one update,
    not a second with the same angles (mail and webhooks: a message per new angle)."""
    store = await Store.open(database)
    try:
        async with store.transaction() as db:
            alert_id = await _event_alert(db)
            await alert_rows.mark_sent(db, [alert_id], now=time.time(), external_id=None)
            await poll_grows_event(db, _event(("One", "Two")))

        async def outlet_more() -> None:
            async with store.transaction() as db:
                await poll_grows_event(db, _event(("One", "Two", "Three"), 2))

        async with aiohttp.ClientSession() as session, webhook_receiver() as receiver:
            app = receiver.app()
            app.middlewares.append(_first_call("/s3cr3t-path", outlet_more))
            async with serve_app(app) as url:
                config = _channel(type="webhook", url=url + "/hook/s3cr3t-path")
                deliverer = Deliverer(store, build_channels({"c0": config}, session))
                assert await deliverer.drain(20.0, updates=True)
            saw = [(p["alert"]["kind"], p["alert"]["outlets"]) for p in receiver.payloads()]
        assert saw == [("update", ["One", "Two"])], saw
    finally:
        await store.close()


async def test_an_update_refreshed_during_its_edit_is_edited_again(database: str) -> None:
    """A story's Telegram message is edited to show Two; while that edit is in hand the
    story gains Three: the message ends showing Three, not stuck at Two."""
    store = await Store.open(database)
    now = time.time()
    try:
        async with telegram_standin() as standin, aiohttp.ClientSession() as session:
            app = standin.app()

            async def grow_to(names: list[str]) -> None:
                async with store.transaction() as db:
                    await add_outlets(db, story.id, names[-1:], now=now, title=TITLE)
                    grew = Story(story.id, TITLE, None, NOW, NOW, tuple(names))
                    await poll_grows_story(db, grew)

            app.middlewares.append(
                _first_call("/editMessageText", lambda: grow_to(["One", "Two", "Three"]))
            )
            async with serve_app(app) as url:
                config = _channel(type="telegram", bot_token=BOT_TOKEN, chat_id=CHAT_ID,
                                  api_base=url)  # fmt: skip
                deliverer = Deliverer(store, build_channels({"c0": config}, session))
                async with store.transaction() as db:
                    story = await store_story(db, title=TITLE, outlets=["One"], now=now)
                    alert = Alert(id=0, channel="c0", kind="new", title=TITLE, rule="r",
                                  story_id=story.id, outlets=("One",))  # fmt: skip
                    await alert_rows.insert(db, alert, dedup_key=f"new:{story.id}:r", now=now)
                assert await deliverer.drain(20.0, updates=True)
                await grow_to(["One", "Two"])
                assert await deliverer.drain(20.0, updates=True)
        assert len(standin.edits) == 2, standin.edits
        assert "Three" in standin.messages[1], standin.messages
    finally:
        await store.close()


async def test_a_send_recorded_while_another_node_polls_the_event_gets_its_update(
    pg_url: str,
) -> None:
    """Node 1's poll reads event 7's alert pending; node 2's sender, which sent it showing
    One, records it while that poll is in flight; the poll grows the event to Two and
    commits. The sent alert is recorded as it went out, and the user gets the update."""
    store = await Store.open(pg_url)
    try:
        async with store.transaction() as db:
            alert_id = await _event_alert(db)
            (due,) = await alert_rows.due(db, "c0", time.time(), 10)
    finally:
        await store.close()
    poll, sender, watch = [await asyncpg.connect(pg_url) for _ in range(3)]
    try:
        polling = poll.transaction()
        await polling.start()
        await grown.hold(PgConnDb(poll), [], [7])
        _, of_events = await grown.grown_alerts(PgConnDb(poll), [], [7])
        assert [h.status for h in of_events[7]] == ["pending"]
        await grown.hold_updates(PgConnDb(poll), of_events)  # none: no alert is sent yet

        async def record() -> None:  # as the sender's worker records a send, and commits
            db = PgConnDb(sender)
            went_out = {alert_id: due.payload}
            async with sender.transaction():
                shown = await alert_rows.mark_sent(
                    db, [alert_id], now=time.time(), external_id=None, went_out=went_out
                )
                await follow_up(db, due, None, shown.get(alert_id, due.payload), time.time())

        sending = asyncio.create_task(record())
        await until_waiting(watch, sending)  # done, or waits for the poll's lock
        await on_grown(
            PgConnDb(poll), stories=(), events=[(_event(("One", "Two")), of_events[7])],
            now=time.time(),
        )  # fmt: skip
        await polling.commit()
        await sending
    finally:
        for conn in (poll, sender, watch):
            await conn.close()
    store = await Store.open(pg_url)
    try:
        shown = await alert_rows.current(store.db, alert_id)
        assert shown is not None and json.loads(shown[0])["outlets"] == ["One"], shown
        queued = await alert_rows.due(store.db, "c0", time.time() + 1, 10)
        assert [(d.alert.kind, d.alert.outlets, d.alert.extra.get("angles")) for d in queued] == [
            ("update", ("One", "Two"), "2")
        ], queued
    finally:
        await store.close()
