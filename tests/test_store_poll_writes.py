"""A poll's rows go to the database in batches: the statements a poll sends do not grow with
its items, their matches or the alerts they queue, and what is stored is what row-at-a-time
writes stored (every match, one alert per key, the first of equal keys kept). On both
backends."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import make_config

from monitor.models import Alert, Item, StoredItem
from monitor.stages import Stages
from monitor.store import Store
from monitor.store import alerts as alert_rows
from monitor.store import feeds as feed_store
from monitor.store import items as item_store

RULES = 8
# Unrelated news, each naming the tracked word: each item a story of its own.
HEADLINES = [
    "Zorblat shares jump after quarterly profit beats forecasts",
    "Floods close mountain roads as Zorblat rescue teams arrive",
    "Court rejects Zorblat appeal over fishing quotas",
    "Museum reopens its Zorblat wing after ten years of repairs",
    "Rail strike halts Zorblat commuter lines for a second day",
    "Zorblat orchestra names young conductor for winter season",
    "Drought pushes Zorblat wheat prices to a four year high",
    "Zorblat hospital trial finds cheaper treatment for burns",
    "Storm knocks out Zorblat power grid across three valleys",
    "Zorblat chess prodigy wins national title at twelve",
    "Customs seize counterfeit Zorblat watches at the harbour",
    "Zorblat startup raises funds for battery recycling plant",
]


class Counting:
    """The poll's ``Db``, counting the statements sent through it (each one a trip)."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.dialect = db.dialect
        self.statements = 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.db, name)

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.statements += 1
            return await method(*args, **kwargs)

        return counted


def _item(n: int, title: str, at: datetime) -> Item:
    url = f"https://example.org/news/{n}"
    return Item(key=url, title=title, summary="", url=url, canonical_url=url, guid=None,
                published=at, first_seen=at)  # fmt: skip


async def _poll(store: Store, stages: Stages, feed_id: int, items: list[Item]) -> int:
    """One poll's items through the stages, as the pipeline runs them; its statements."""
    async with store.transaction() as tx:
        db = Counting(tx)
        new = await item_store.insert_new(db, feed_id, items)
        stored = [StoredItem(i, feed_id, "Outlet", (), item) for i, item in new]
        await stages.process(db, stored, time.time())  # type: ignore[arg-type]
        return db.statements


async def test_a_polls_statements_do_not_grow_with_its_matches_and_alerts(
    database: str, tmp_path: Path
) -> None:
    rules = "".join(
        f'[[rules]]\nname = "r{n}"\nquery = "zorblat"\nchannels = ["screen"]\nalert_on = "story"\n'
        for n in range(RULES)
    )
    config = make_config(
        tmp_path, ["http://a/feed"], '[channels.screen]\ntype = "console"\n' + rules
    )
    store = await Store.open(database)
    try:
        async with store.transaction() as db:
            feed = (await feed_store.sync_feeds(db, ["http://a/feed"]))["http://a/feed"]
        stages = await Stages.build(config, store)
        start = datetime.now(UTC) - timedelta(hours=1)
        items = [_item(n, h, start + timedelta(minutes=n)) for n, h in enumerate(HEADLINES)]
        small = await _poll(store, stages, feed.id, items[:2])
        large = await _poll(store, stages, feed.id, items[2:])
        # Row at a time, the ten items' 80 matches and 80 alerts were 160 statements more.
        assert large <= small + 2, (small, large)
        matches = await store.db.fetch_val("SELECT COUNT(*) FROM matches")
        alerts = await store.db.fetch_all("SELECT story_id, rule FROM alerts WHERE kind = 'new'")
        assert matches == len(HEADLINES) * RULES
        assert len(alerts) == len(set(alerts)) == len(HEADLINES) * RULES
    finally:
        await store.close()


def _alert(channel: str, title: str) -> Alert:
    return Alert(id=0, channel=channel, kind="new", title=title, rule="r", story_id=None)


@pytest.mark.parametrize(
    ("batch", "stored"),
    [
        # (channel, key, title) of each alert of the batch -> which of them got an id
        ([("a", "k1", "one"), ("a", "k2", "two")], [True, True]),
        ([("a", "k1", "one"), ("a", "k1", "again")], [True, False]),  # the first is kept
        ([("a", "k1", "one"), ("b", "k1", "one")], [True, True]),  # a key per channel
        ([("a", "old", "later")], [False]),  # the key was in the outbox already
        ([], []),
    ],
)
async def test_alerts_inserted_together_keep_one_per_key(
    database: str, batch: list[tuple[str, str, str]], stored: list[bool]
) -> None:
    store = await Store.open(database)
    try:
        now = time.time()
        async with store.transaction() as db:
            await alert_rows.insert(db, _alert("a", "earlier"), dedup_key="old", now=now)
            ids = await alert_rows.insert_many(
                db, [(_alert(c, t), k) for c, k, t in batch], now=now
            )
        assert [i is not None for i in ids] == stored
        for (channel, key, title), alert_id in zip(batch, ids, strict=True):
            found = await alert_rows.by_key(store.db, channel, key)
            assert found is not None
            due, status = found
            assert status == alert_rows.PENDING and due.next_attempt == now
            if alert_id is not None:
                assert (due.alert.id, due.alert.title) == (alert_id, title)
        keys = {k for c, k, _ in batch if c == "a"} | {"old"}
        assert await alert_rows.deliverable(store.db, "a", now) == len(keys)
    finally:
        await store.close()


async def test_many_feeds_304_states_are_all_written_as_they_were(database: str) -> None:
    urls = [f"https://feeds.example/{n}" for n in range(450)]  # more than one batch
    store = await Store.open(database)
    try:
        async with store.transaction() as db:
            states = list((await feed_store.sync_feeds(db, urls)).values())
        writes = feed_store.StateWrites(store, batch=200, delay=60)
        for n, state in enumerate(states):
            state.etag = f'W/"{n}"' if n % 3 else None
            state.title = f"Nachrichten {n} – Überblick" if n % 2 else None
            state.last_status = 304
            state.last_checked = 1_760_000_000.123456 + n
            state.next_check = 1_760_000_600.5 + n if n % 5 else None
            state.error_streak = n % 4
            state.items_total = n * 1000
            writes.add(state)
        await writes.close()
        stored = {s.id: s for s in await feed_store.all_feeds(store.db)}
        assert [stored[s.id] for s in states] == states
    finally:
        await store.close()
