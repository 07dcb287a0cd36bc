"""PostgreSQL: a sender on one node records alerts while the assigner's poll on another writes
the same ones. Each takes them in id order, all before writing any, so neither is aborted as
the other's deadlock; and a record the database aborts all the same (a node still taking them
out of order) is made again, not left to send the message a second time."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web
from helpers import poll_grows_event, until_waiting
from pydantic import TypeAdapter
from standins import serve_app, webhook_receiver

from monitor.assign import EventPlan
from monitor.channels import build_channels
from monitor.channels.config import ChannelConfig
from monitor.models import Alert, Event
from monitor.outbox import Deliverer
from monitor.store import Store, grown, growth
from monitor.store import alerts as alert_rows
from monitor.store import events as event_store
from monitor.store.db import Db
from monitor.store.pgdb import PgConnDb

TITLE = "Zorblat shares jump after quarterly profit beats forecasts"
NOW = datetime.now(UTC)


def _event(outlets: tuple[str, ...], angles: int) -> Event:
    """Event 7 as a poll sees it: grown to ``outlets`` and ``angles``."""
    return Event(7, TITLE, NOW, NOW, stories=angles, outlets=outlets, latest=TITLE)


async def _two_event_alerts(db: Db) -> list[int]:
    """Stories 1 (event 7) and 2 (event 8), each with a pending "new" alert per event on c0;
    event 8 grew to Two (alert 2 points at its growth)."""
    for event in (7, 8):
        await db.execute(
            "INSERT INTO events (id, title, first_seen, last_seen) VALUES (?, 'z', 0, 0)", (event,)
        )
    ids = []
    for story, event in ((1, 7), (2, 8)):
        await db.execute(
            "INSERT INTO stories (id, title, first_seen, last_seen, outlets, event_id)"
            " VALUES (?, 'z', 0, 0, 1, ?)",
            (story, event),
        )
        alert = Alert(id=0, channel="c0", kind="new", title=TITLE, rule="r", story_id=story,
                      outlets=("One",), extra={"angles": "1"}, event_id=event)  # fmt: skip
        alert_id = await alert_rows.insert(
            db, alert, dedup_key=f"event:{event}:r", now=time.time() - 1
        )
        assert alert_id is not None
        ids.append(alert_id)
    await growth.write(db, [("event:8", ["One", "Two"], {"angles": "2"})], [("event:8", ids[1])])
    return ids


async def test_a_digest_recorded_while_a_poll_moves_a_story_is_not_aborted(pg_url: str) -> None:
    """Node 2 records a digest of alerts 1 and 2 as sent while node 1's poll moves story 2
    (alert 2's) from event 8 to event 7, which it grew (alert 1's): both commit, as the
    poll's statements come in ``Stages`` (its locks, then its events, then what it grew)."""
    store = await Store.open(pg_url)
    try:
        async with store.transaction() as db:
            ids = await _two_event_alerts(db)
            dues = await alert_rows.due(db, "c0", time.time(), 10)
    finally:
        await store.close()
    poll, sender, watch = [await asyncpg.connect(pg_url) for _ in range(3)]
    try:
        polling = poll.transaction()
        await polling.start()
        plan = EventPlan(story_links=[(7, 2)], updates=[("z", 2.0, 1, 7)])
        await grown.hold(PgConnDb(poll), [2], [7])  # the stories it moves, the events it grew
        await event_store.record(PgConnDb(poll), plan)

        async def record() -> None:
            went_out = {d.alert.id: d.payload for d in dues}
            async with sender.transaction():
                await alert_rows.mark_sent(
                    PgConnDb(sender), ids, now=time.time(), external_id=None, went_out=went_out
                )

        sending = asyncio.create_task(record())
        await until_waiting(watch, sending)
        await grown.grown_alerts(PgConnDb(poll), [], [7])
        await polling.commit()
        await sending
    finally:
        for conn in (poll, sender, watch):
            await conn.close()
    store = await Store.open(pg_url)
    try:
        assert await alert_rows.due(store.db, "c0", time.time() + 1, 10) == []
    finally:
        await store.close()


async def test_a_digest_whose_record_is_aborted_goes_out_once(pg_url: str) -> None:
    """While a webhook has the digest of alerts 1 and 2 in hand, a transaction on another
    node holds alert 2 and then waits for alert 1, which the record holds: PostgreSQL aborts
    the record. The record is made again once the other commits: the digest went out once."""
    store = await Store.open(pg_url)
    other = await asyncpg.connect(pg_url)
    watch = await asyncpg.connect(pg_url)
    try:
        async with store.transaction() as db:
            ids = await _two_event_alerts(db)
        holding: list[Any] = []

        async def out_of_order() -> None:
            tx = other.transaction()
            await tx.start()
            await other.execute("SELECT id FROM alerts WHERE id = $1 FOR SHARE", ids[1])
            holding.append(tx)

        async def then_the_first() -> None:
            never = asyncio.get_running_loop().create_future()
            await until_waiting(watch, never)  # the record waits for alert 2
            try:
                await other.execute("SELECT id FROM alerts WHERE id = $1 FOR SHARE", ids[0])
            finally:
                await holding[0].commit()

        async with aiohttp.ClientSession() as session, webhook_receiver() as receiver:
            app = receiver.app()
            first: list[asyncio.Task[None]] = []

            @web.middleware
            async def middleware(request: Any, handler: Any) -> Any:
                if not first:  # the digest in hand: the other node takes alert 2
                    await out_of_order()
                    first.append(asyncio.create_task(then_the_first()))
                return await handler(request)

            app.middlewares.append(middleware)
            async with serve_app(app) as url:
                config = TypeAdapter(ChannelConfig).validate_python(
                    {"type": "webhook", "url": url + "/hook/s3cr3t-path", "digest": "1s",
                     "retry_initial": "20ms", "retry_max": "100ms", "rate_limit": "off"}
                )  # fmt: skip
                deliverer = Deliverer(store, build_channels({"c0": config}, session))
                assert await deliverer.drain(20.0)
                await first[0]
            sent = receiver.payloads()
        assert len(sent) == 1, sent
        assert await alert_rows.due(store.db, "c0", time.time() + 1, 10) == []
    finally:
        await other.close()
        await watch.close()
        await store.close()


async def test_an_update_recorded_while_a_poll_adds_an_outlet_stays_sent(pg_url: str) -> None:
    """Event 7's webhook message told One, its update (Two, a new angle) is pending. Node 2
    records the update sent while node 1's poll grows the event by an outlet (Three), no
    angle: nothing more goes out (before, the poll put the update back to pending)."""
    now = time.time()
    store = await Store.open(pg_url)
    try:
        async with store.transaction() as db:
            await db.execute(
                "INSERT INTO events (id, title, first_seen, last_seen) VALUES (7, 'z', 0, 0)"
            )
            await db.execute(
                "INSERT INTO stories (id, title, first_seen, last_seen, outlets, event_id)"
                " VALUES (1, 'z', 0, 0, 1, 7)"
            )
            alert = Alert(id=0, channel="c0", kind="new", title=TITLE, rule="r", story_id=1,
                          outlets=("One",), extra={"angles": "1"}, event_id=7)  # fmt: skip
            alert_id = await alert_rows.insert(db, alert, dedup_key="event:7:r", now=now - 1)
            assert alert_id is not None
            await alert_rows.mark_sent(db, [alert_id], now=now, external_id=None)
            await poll_grows_event(db, _event(("One", "Two"), 2))
            (update,) = await alert_rows.due(db, "c0", now + 1, 10)
    finally:
        await store.close()
    poll, sender, watch = [await asyncpg.connect(pg_url) for _ in range(3)]
    try:
        sending = sender.transaction()
        await sending.start()
        went_out = {update.alert.id: update.payload}
        await alert_rows.mark_sent(
            PgConnDb(sender), [update.alert.id], now=now, external_id=None, went_out=went_out
        )
        polling = poll.transaction()
        await polling.start()
        grows = asyncio.create_task(
            poll_grows_event(PgConnDb(poll), _event(("One", "Two", "Three"), 2))
        )
        await until_waiting(watch, grows)
        await sending.commit()
        await grows
        await polling.commit()
    finally:
        for conn in (poll, sender, watch):
            await conn.close()
    store = await Store.open(pg_url)
    try:
        assert await alert_rows.due(store.db, "c0", now + 1, 10) == []
    finally:
        await store.close()
