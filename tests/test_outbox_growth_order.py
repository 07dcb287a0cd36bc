"""PostgreSQL: the one order in which every transaction takes alerts (new and burst alerts by
id, then update rows by id). A sender on one node that postpones or expires an update with a
new alert, while the assigner's poll on another grows their event, is not aborted as the
poll's deadlock, nor is the poll (which would roll back its whole batch)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import asyncpg
import pytest
from helpers import poll_grows_event, until_waiting
from pydantic import TypeAdapter

from monitor.channels.config import ChannelConfig
from monitor.models import Alert, Event
from monitor.outbox.upkeep import expire
from monitor.store import Store, grown, report
from monitor.store import alerts as alert_rows
from monitor.store.db import Db
from monitor.store.pgdb import PgConnDb

TITLE = "Zorblat shares jump after quarterly profit beats forecasts"
NOW = datetime.now(UTC)


def _event(outlets: tuple[str, ...], angles: int) -> Event:
    return Event(7, TITLE, NOW, NOW, stories=angles, outlets=outlets, latest=TITLE)


async def _update_then_new(db: Db, now: float) -> tuple[int, int]:
    """Event 7: story 1's webhook alert sent, its update ``u`` pending (a new angle); then
    story 2's alert ``n`` (rule r2, same channel) pending, its id above ``u``'s."""
    await db.execute("INSERT INTO events (id, title, first_seen, last_seen) VALUES (7, 'z', 0, 0)")
    for story in (1, 2):
        await db.execute(
            "INSERT INTO stories (id, title, first_seen, last_seen, outlets, event_id)"
            " VALUES (?, 'z', 0, 0, 1, 7)",
            (story,),
        )
    sent = Alert(id=0, channel="c0", kind="new", title=TITLE, rule="r", story_id=1,
                 outlets=("One",), extra={"angles": "1"}, event_id=7)  # fmt: skip
    sent_id = await alert_rows.insert(db, sent, dedup_key="event:7:r", now=now - 10)
    assert sent_id is not None
    await alert_rows.mark_sent(db, [sent_id], now=now, external_id=None)
    await poll_grows_event(db, _event(("One", "Two"), 2))
    (u,) = await alert_rows.due(db, "c0", now + 1, 10)
    new = Alert(id=0, channel="c0", kind="new", title=TITLE, rule="r2", story_id=2,
                outlets=("One",), extra={"angles": "1"}, event_id=7)  # fmt: skip
    n = await alert_rows.insert(db, new, dedup_key="event:7:r2", now=now - 5)
    assert n is not None and n > u.alert.id
    return u.alert.id, n


async def _postpone(db: Db, ids: tuple[int, int], now: float) -> None:
    """Quiet hours: the worker's batch, the update and the new alert, postponed."""
    await alert_rows.postpone_each(db, dict.fromkeys(ids, now + 60))


async def _expire(db: Db, ids: tuple[int, int], now: float) -> None:
    """Both older than expire_after."""
    await alert_rows.expire_overdue(db, "c0", created_before=now + 1, now=now, error="old")


@pytest.mark.parametrize("writer", [_postpone, _expire], ids=["postpone", "expire"])
async def test_a_sender_taking_an_update_and_a_new_alert_while_a_poll_grows(
    pg_url: str, writer: object
) -> None:
    now = time.time()
    store = await Store.open(pg_url)
    try:
        async with store.transaction() as db:
            ids = await _update_then_new(db, now)
    finally:
        await store.close()
    poll, sender, watch = [await asyncpg.connect(pg_url) for _ in range(3)]
    errors: list[str] = []
    try:
        polling = poll.transaction()
        await polling.start()
        await grown.hold(PgConnDb(poll), [], [7])  # the poll's pending alert n, shared

        async def send() -> None:
            try:
                async with sender.transaction():
                    await writer(PgConnDb(sender), ids, now)  # type: ignore[operator]
            except asyncpg.PostgresError as exc:
                errors.append(f"sender: {type(exc).__name__}")

        sending = asyncio.create_task(send())
        await until_waiting(watch, sending)  # the sender waits for n
        try:
            # The rest of the poll (its hold again, a no-op): event 7 gains an outlet.
            await poll_grows_event(PgConnDb(poll), _event(("One", "Two", "Three"), 2))
            await polling.commit()
        except asyncpg.PostgresError as exc:
            errors.append(f"poll: {type(exc).__name__}")
            await polling.rollback()
        await sending
    finally:
        for conn in (poll, sender, watch):
            await conn.close()
    assert errors == [], errors


async def test_one_sweep_expires_a_backlog_a_few_at_a_time(database: str) -> None:
    """An outage left 45 alerts undelivered past expire_after: one sweep still gives up all
    of them, though a few per transaction."""
    now = time.time()
    store = await Store.open(database)
    try:
        async with store.transaction() as db:
            await db.execute(
                "INSERT INTO stories (id, title, first_seen, last_seen, outlets)"
                " VALUES (1, 'z', 0, 0, 1)"
            )
            for n in range(45):
                alert = Alert(id=0, channel="c0", kind="new", title=TITLE, rule=f"r{n}",
                              story_id=1, outlets=("One",))  # fmt: skip
                await alert_rows.insert(db, alert, dedup_key=f"new:1:r{n}", now=now - 7200)
        config = TypeAdapter(ChannelConfig).validate_python(
            {"type": "webhook", "url": "http://127.0.0.1:9/hook", "expire_after": "1h"}
        )
        await expire(store, "c0", config, now)
        counts = await report.counts(store.db)
        assert counts == {"c0": {"expired": 45}}, counts
    finally:
        await store.close()
