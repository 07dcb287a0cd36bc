"""A poll's rows go to the database in batches: the statements a poll sends do not grow with
its items, their matches or the alerts they queue, and what is stored is what row-at-a-time
writes stored (every match, one alert per key, the first of equal keys kept). On both
backends."""

from __future__ import annotations

import json
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
    # A channel per rule: rules that share a channel send one message per story, naming
    # them all; here every match is an alert of its own.
    rules = "".join(
        f'[[rules]]\nname = "r{n}"\nquery = "zorblat"\nchannels = ["screen{n}"]\nalert_on = "story"\n'
        f'[channels.screen{n}]\ntype = "console"\n'
        for n in range(RULES)
    )
    config = make_config(tmp_path, ["http://a/feed"], rules)
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


def _uci_polls(rows: int) -> list[tuple[str, list[Item]]]:
    """The first ``rows`` UCI headlines as polls: a feed per outlet, a poll per 10 minutes."""
    import csv

    from conftest import shared

    path = next(shared("uci-news-2014-03").glob("*.csv"))
    polls: dict[tuple[int, str], list[Item]] = {}
    with path.open(encoding="utf-8") as f:
        for n, row in zip(range(rows), csv.DictReader(f), strict=False):
            at = datetime.fromtimestamp(int(row["TIMESTAMP"]) / 1000, UTC)
            feed = f"https://{row['HOSTNAME']}/rss"
            polls.setdefault((int(at.timestamp() // 600), feed), []).append(
                _item(n, row["TITLE"], at)
            )
    return [(feed, items) for (_, feed), items in sorted(polls.items())]


async def _what_a_user_sees(location: str, tmp_path: Path) -> dict[str, Any]:
    """The stories, events, matches and alerts of 600 real headlines' polls, without ids."""
    from monitor.store import events as event_store
    from monitor.store import stories as story_store

    polls = _uci_polls(600)
    rules = (
        "".join(
            f'[[rules]]\nname = "{name}"\nquery = "{query}"\nchannels = ["screen"]\n'
            for name, query in [
                ("tech", "google OR apple OR microsoft"),
                ("markets", "stocks OR shares"),
                ("east", "ukraine OR russia OR crimea"),
            ]
        )
        + '[[rules]]\nname = "each"\nquery = "says"\nchannels = ["screen"]\nalert_on = "story"\n'
    )
    config = make_config(tmp_path, [], '[channels.screen]\ntype = "console"\n' + rules)
    store = await Store.open(location)
    try:
        async with store.transaction() as db:
            states = await feed_store.sync_feeds(db, sorted({feed for feed, _ in polls}))
        stages = await Stages.build(config, store)
        for feed, items in polls:
            async with store.transaction() as db:
                state = states[feed]
                new = await item_store.insert_new(db, state.id, items)
                stored = [StoredItem(i, state.id, feed, (), item, feed) for i, item in new]
                await stages.process(db, stored, max(i.first_seen for i in items).timestamp())
        stories = await story_store.list_stories(store.db, None)
        events = await event_store.list_events(store.db, None)
        shown = await alert_rows.payloads(store.db)
        alerts = [
            (*r[1:], shown[r[0]])
            for r in await store.db.fetch_all("SELECT id, channel, kind, rule FROM alerts")
        ]
        matches = await store.db.fetch_all("SELECT rule, terms, hits, snippet FROM matches")
    finally:
        await store.close()

    def payload(text: str) -> str:
        import json

        data = json.loads(text)
        for key in ("story_id", "event_id"):
            data.pop(key, None)
        return json.dumps(data, sort_keys=True)

    return {
        "stories": sorted(
            (s["title"], s["first_seen"], s["last_seen"], s["outlets"], str(s["items"]))
            for s in stories
        ),
        "events": sorted(
            (e["title"], e["first_seen"], e["last_seen"], str([s["items"] for s in e["stories"]]))
            for e in events
        ),
        "alerts": sorted((a[0], a[1], a[2], payload(a[3])) for a in alerts),
        "matches": sorted(tuple(m) for m in matches),
    }


async def test_postgresql_stores_what_sqlite_stores(pg_url: str, tmp_path: Path) -> None:
    sqlite = await _what_a_user_sees(str(tmp_path / "monitor.db"), tmp_path)
    postgresql = await _what_a_user_sees(pg_url, tmp_path)
    assert len(sqlite["stories"]) > len(sqlite["events"]) > 50
    assert len(sqlite["alerts"]) > 20 and len(sqlite["matches"]) > 50
    for part in ("stories", "events", "alerts", "matches"):
        assert postgresql[part] == sqlite[part], part


async def _grow(store: Store, stages: Stages, feed: str, items: list[Item]) -> int:
    """A poll of ``feed`` (its own outlet), as the pipeline runs it; its statements."""
    async with store.transaction() as tx:
        feed_id = (await feed_store.sync_feeds(tx, [feed]))[feed].id
        db = Counting(tx)
        new = await item_store.insert_new(db, feed_id, items)
        stored = [StoredItem(i, feed_id, feed, (), item, feed) for i, item in new]
        await stages.process(db, stored, time.time())  # type: ignore[arg-type]
        return db.statements


@pytest.mark.parametrize("alert_on", ["story", "event"])
async def test_a_polls_statements_do_not_grow_with_the_alerts_it_refreshes(
    database: str, tmp_path: Path, alert_on: str
) -> None:
    """A second outlet carrying stories already alerted: each pending alert gets the new
    outlet, and the poll's statements stay as many for ten grown stories as for two."""
    rule = f'[[rules]]\nname = "r"\nquery = "zorblat"\nchannels = ["screen"]\nalert_on = "{alert_on}"\n'
    config = make_config(tmp_path, [], '[channels.screen]\ntype = "console"\n' + rule)
    store = await Store.open(database)
    try:
        stages = await Stages.build(config, store)
        start = datetime.now(UTC) - timedelta(hours=1)

        def items(outlet: str, titles: list[str], first: int) -> list[Item]:
            return [
                _item(first + n, f"{t} - {outlet}", start + timedelta(minutes=first + n))
                for n, t in enumerate(titles)
            ]

        await _grow(store, stages, "https://one.example/", items("One", HEADLINES[:2], 0))
        await _grow(store, stages, "https://one.example/", items("One", HEADLINES[2:], 2))
        few = await _grow(store, stages, "https://two.example/", items("Two", HEADLINES[:2], 20))
        many = await _grow(store, stages, "https://two.example/", items("Two", HEADLINES[2:], 22))
        rows = await store.db.fetch_all("SELECT id FROM alerts WHERE kind = 'new'")
        shown = await alert_rows.payloads(store.db)
        outlets = [json.loads(shown[r[0]])["outlets"] for r in rows]
        table = "stories" if alert_on == "story" else "events"
        assert len(outlets) == await store.db.fetch_val(f"SELECT COUNT(*) FROM {table}") > 8
        # one alert per story or event...
        assert all(len(o) == 2 for o in outlets), outlets  # ...each showing both outlets
        # Alert by alert, the ten grown ones' new outlets were eight statements more.
        assert many <= few + 2, (few, many)
    finally:
        await store.close()
