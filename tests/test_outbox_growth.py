"""A story (or event) that grows, its alerts pending: each poll that grows it writes what
they show once, not into each of its alerts, and what goes out (after a restart too) names
every outlet that carried it by then. On both backends."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
from helpers import make_config, until_waiting

from monitor.channels import build_channels
from monitor.models import Alert, Item, StoredItem
from monitor.outbox import Deliverer
from monitor.stages import Stages
from monitor.store import Store, growth
from monitor.store import alerts as alert_rows
from monitor.store import feeds as feed_store
from monitor.store import items as item_store
from monitor.store.pgdb import PgConnDb

CHANNELS = 6
OUTLETS = ["One", "Two", "Three", "Four"]
HEADLINE = "Zorblat shares jump after quarterly profit beats forecasts"


class AlertWrites:
    """The poll's ``Db``, counting the alerts it rewrites (a batch counts each row)."""

    def __init__(self, db: Any, rows: list[int]) -> None:
        self.db = db
        self.dialect = db.dialect
        self.rows = rows  # one counter, shared with the Db that ``together`` hands on

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.db, name)
        if name == "together":
            return lambda work: method(lambda inner: work(AlertWrites(inner, self.rows)))

        async def counted(sql: str, *args: Any) -> Any:
            words = sql.split()
            if words[:2] == ["UPDATE", "alerts"]:
                self.rows[0] += len(args[0]) if name == "execute_many" else 1
            return await method(sql, *args)

        return counted


def _config(tmp_path: Path, alert_on: str) -> Any:
    names = [f"c{n}" for n in range(CHANNELS)]
    rule = (
        f'[[rules]]\nname = "r"\nquery = "zorblat"\nchannels = {names!r}\nalert_on = "{alert_on}"\n'
    ).replace("'", '"')
    channels = "".join(f'[channels.{n}]\ntype = "console"\nrate_limit = "off"\n' for n in names)
    return make_config(tmp_path, [], channels + rule)


async def _poll(store: Store, stages: Stages, outlet: int) -> int:
    """The headline, from outlet ``outlet``, through the stages as the pipeline runs them;
    the alerts the poll rewrote."""
    at = datetime.now(UTC) - timedelta(hours=1) + timedelta(minutes=outlet)
    url = f"https://{OUTLETS[outlet].lower()}.example/zorblat"
    item = Item(key=url, title=f"{HEADLINE} - {OUTLETS[outlet]}", summary="", url=url,
                canonical_url=url, guid=None, published=at, first_seen=at)  # fmt: skip
    feed = f"https://{OUTLETS[outlet].lower()}.example/feed"
    async with store.transaction() as tx:
        feed_id = (await feed_store.sync_feeds(tx, [feed]))[feed].id
        db = AlertWrites(tx, [0])
        new = await item_store.insert_new(db, feed_id, [item])
        stored = [StoredItem(i, feed_id, OUTLETS[outlet], (), it, feed) for i, it in new]
        await stages.process(db, stored, time.time())  # type: ignore[arg-type]
        return db.rows[0]


@pytest.mark.parametrize("alert_on", ["story", "event"])
async def test_growth_writes_once_per_poll_and_every_message_names_every_outlet(
    database: str, tmp_path: Path, alert_on: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, alert_on)
    store = await Store.open(database)
    try:
        stages = await Stages.build(config, store)
        written = [await _poll(store, stages, n) for n in range(len(OUTLETS))]
    finally:
        await store.close()
    # The first poll queues one alert per channel; the second points them at what the
    # story (event) now shows; later growth rewrites none of them.
    assert written[1] == CHANNELS
    assert written[2:] == [0] * (len(OUTLETS) - 2), written

    store = await Store.open(database)  # a restart: what they show was stored
    try:
        async with aiohttp.ClientSession() as session:
            deliverer = Deliverer(store, build_channels(config.channels, session))
            assert await deliverer.drain(10.0)
    finally:
        await store.close()
    out = capsys.readouterr().out
    shown = [line.strip() for line in out.splitlines() if line.strip().startswith("outlets:")]
    assert len(shown) == CHANNELS
    carried = f"{OUTLETS[0]} — also reported by: {', '.join(OUTLETS[1:])}"
    assert set(shown) == {f"outlets: {carried} ({len(OUTLETS)} in all)"}, shown


def _alert(story_id: int, event_id: int | None) -> Alert:
    return Alert(id=0, channel="c0", kind="new", title=HEADLINE, rule="r", story_id=story_id,
                 outlets=("One",), extra={"angles": "1"}, event_id=event_id)  # fmt: skip


async def _story_with_alert(db: Any, event_id: int | None, key: str, channel: str = "c0") -> int:
    """Story 1 (created if new) and one pending alert of it on ``channel``; its id."""
    await db.execute(
        "INSERT INTO stories (id, title, first_seen, last_seen, outlets)"
        " VALUES (1, 'z', 0, 0, 1) ON CONFLICT (id) DO NOTHING"
    )
    alert = replace(_alert(1, event_id), channel=channel)
    alert_id = await alert_rows.insert(db, alert, dedup_key=key, now=0.0)
    assert alert_id is not None
    return alert_id


async def test_a_story_leaving_its_event_keeps_what_its_alert_showed(database: str) -> None:
    """The event a story left grows on: its alert shows the event as it was at the move (what
    rewriting every alert at each growth showed), and goes out that way."""
    store = await Store.open(database)
    try:
        async with store.transaction() as db:
            left = await _story_with_alert(db, 7, "event:7:r")
            told = {"angles": "2"}
            await growth.write(db, [("event:7", ["One", "Two"], told)], [("event:7", left)])
            await growth.settle_moved(db, [1])  # story 1 joins another event
            await growth.write(db, [("event:7", ["One", "Two", "Three"], {"angles": "3"})], [])
        async with store.transaction() as db:
            (due,) = await alert_rows.due(db, "c0", 1.0, 10)
        assert (due.alert.outlets, due.alert.extra) == (("One", "Two"), {"angles": "2"})
    finally:
        await store.close()


async def test_a_sent_alert_keeps_what_went_out(database: str) -> None:
    """Marked sent, an alert's payload is what went out; its story's growth row goes with the
    last alert that showed it, and growth after that is an update's business."""
    store = await Store.open(database)
    try:
        async with store.transaction() as db:
            sent = await _story_with_alert(db, None, "new:1:r")
            await growth.write(db, [("story:1", ["One", "Two"], {})], [("story:1", sent)])
        async with store.transaction() as db:
            (due,) = await alert_rows.due(db, "c0", 1.0, 10)
            await alert_rows.mark_sent(db, [sent], now=1.0, external_id="m1")
            await growth.write(db, [("story:1", ["One", "Two", "Three"], {})], [])
        assert due.alert.outlets == ("One", "Two")
        assert await alert_rows.current(store.db, sent) == (due.payload, "m1")
    finally:
        await store.close()


async def test_a_growth_never_points_at_an_alert_already_sent(database: str) -> None:
    """Another node sent the alert after this poll read it pending: it keeps what went out."""
    store = await Store.open(database)
    try:
        async with store.transaction() as db:
            sent = await _story_with_alert(db, None, "new:1:r")
            await alert_rows.mark_sent(db, [sent], now=1.0, external_id="m1")
            await growth.write(db, [("story:1", ["One", "Two"], {})], [("story:1", sent)])
        shown = await alert_rows.current(store.db, sent)
        assert shown is not None and json.loads(shown[0])["outlets"] == ["One"]
        assert await store.db.fetch_val("SELECT growth FROM alerts WHERE id = ?", (sent,)) is None
    finally:
        await store.close()


async def test_an_alert_sent_while_another_node_grows_its_event_keeps_the_growth_row(
    pg_url: str,
) -> None:
    """Node 1's poll grows event 7 and reaches alert B for the first time while node 2 marks
    alert A, the last that showed the event until then, sent: B still goes out with the
    event's outlets once node 1 commits (the growth row is not deleted under it)."""
    store = await Store.open(pg_url)
    try:
        async with store.transaction() as db:
            a = await _story_with_alert(db, 7, "event:7:r")
            b = await _story_with_alert(db, 7, "event:7:r", channel="c1")
            await growth.write(db, [("event:7", ["One", "Two"], {"angles": "2"})], [("event:7", a)])
    finally:
        await store.close()
    poll, sender, watch = [await asyncpg.connect(pg_url) for _ in range(3)]
    try:
        polling, sending_tx = poll.transaction(), sender.transaction()
        await polling.start()
        grown = [("event:7", ["One", "Two", "Three"], {"angles": "3"})]
        await growth.write(PgConnDb(poll), grown, [("event:7", b)])
        await sending_tx.start()
        sending = asyncio.create_task(
            alert_rows.mark_sent(PgConnDb(sender), [a], now=1.0, external_id="m1")
        )
        await until_waiting(watch, sending)  # done, or waits for the poll's lock
        await polling.commit()
        await sending
        await sending_tx.commit()
    finally:
        for conn in (poll, sender, watch):
            await conn.close()
    store = await Store.open(pg_url)
    try:
        (due,) = await alert_rows.due(store.db, "c1", 1.0, 10)
        assert due.alert.outlets == ("One", "Two", "Three"), due.alert.outlets
    finally:
        await store.close()
