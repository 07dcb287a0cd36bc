"""The growth rows (``alert_growth``) no alert points at any more are swept by retention, and
never one that a poll in flight on another node is pointing a new alert at. PostgreSQL only:
on SQLite one connection settles and polls in turn, and a settle deletes every row it frees."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest
from helpers import until_waiting

from monitor.models import Alert
from monitor.retention import prune
from monitor.store import Store, growth
from monitor.store import alerts as alert_rows
from monitor.store.db import Db
from monitor.store.pgdb import PgConnDb

TITLE = "Zorblat shares jump after quarterly profit beats forecasts"
GROWN = [("event:7", ["One", "Two"], {"angles": "2"})]


async def _alert(db: Db, channel: str) -> int:
    """A pending "new" alert per event 7 of story 1 on ``channel``, showing One."""
    await db.execute(
        "INSERT INTO stories (id, title, first_seen, last_seen, outlets)"
        " VALUES (1, 'z', 0, 0, 1) ON CONFLICT (id) DO NOTHING"
    )
    alert = Alert(id=0, channel=channel, kind="new", title=TITLE, rule="r", story_id=1,
                  outlets=("One",), extra={"angles": "1"}, event_id=7)  # fmt: skip
    alert_id = await alert_rows.insert(db, alert, dedup_key="event:7:r", now=time.time())
    assert alert_id is not None
    return alert_id


async def _rows(pg_url: str) -> list[str]:
    conn = await asyncpg.connect(pg_url)
    try:
        return [r[0] for r in await conn.fetch("SELECT owner FROM alert_growth ORDER BY owner")]
    finally:
        await conn.close()


async def test_a_row_left_by_a_settle_during_a_poll_is_swept(pg_url: str) -> None:
    """Node 2 gives up alert A, the last that showed event 7, while node 1's poll holds the
    event's growth row (it grew the event and pointed no new alert): the row is left, and
    retention removes it."""
    store = await Store.open(pg_url)
    try:
        async with store.transaction() as db:
            a = await _alert(db, "c0")
            await growth.write(db, GROWN, [("event:7", a)])
    finally:
        await store.close()
    poll, sender = [await asyncpg.connect(pg_url) for _ in range(2)]
    try:
        async with poll.transaction():
            await growth.write(PgConnDb(poll), [("event:7", ["One", "Two", "Three"], {})], [])
            async with sender.transaction():
                await alert_rows.mark_given_up(
                    PgConnDb(sender), [a], now=time.time(), status="expired", error="expired"
                )
    finally:
        for conn in (poll, sender):
            await conn.close()
    assert await _rows(pg_url) == ["event:7"]  # what the sweep is for
    store = await Store.open(pg_url)
    try:
        pruned = await prune(store, 0.0)
    finally:
        await store.close()
    assert (pruned.growth, await _rows(pg_url)) == (1, [])


@pytest.mark.parametrize("first", ["poll", "sweep"])
async def test_the_sweep_leaves_a_row_a_poll_is_pointing_a_new_alert_at(
    pg_url: str, first: str
) -> None:
    """Event 7's row points at no alert (A was sent); node 1's poll grows the event again
    and points alert B, just queued, at it while node 2's retention sweeps (either first):
    B goes out showing the event's outlets."""
    store = await Store.open(pg_url)
    try:
        async with store.transaction() as db:
            a = await _alert(db, "c0")
            b = await _alert(db, "c1")
            await growth.write(db, GROWN, [("event:7", a)])
            await db.execute("UPDATE alerts SET growth = NULL, status = 'sent' WHERE id = ?", (a,))
    finally:
        await store.close()
    poll, sweeper, watch = [await asyncpg.connect(pg_url) for _ in range(3)]
    try:
        polling, sweeping = poll.transaction(), sweeper.transaction()
        await polling.start()
        await sweeping.start()
        grow = growth.write(PgConnDb(poll), GROWN, [("event:7", b)])
        sweep = growth.sweep(PgConnDb(sweeper), 100)
        first_task = asyncio.create_task(grow if first == "poll" else sweep)
        await until_waiting(watch, first_task)
        second = asyncio.create_task(sweep if first == "poll" else grow)
        await until_waiting(watch, second)
        # The one that came second is done or waits for the first's lock: commit in order.
        await first_task
        await (polling if first == "poll" else sweeping).commit()
        await second
        await (sweeping if first == "poll" else polling).commit()
    finally:
        for conn in (poll, sweeper, watch):
            await conn.close()
    store = await Store.open(pg_url)
    try:
        (due,) = await alert_rows.due(store.db, "c1", time.time() + 1, 10)
        assert due.alert.outlets == ("One", "Two"), due.alert.outlets
    finally:
        await store.close()
