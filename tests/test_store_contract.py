"""The store's contract, run on both backends (SQLite and PostgreSQL): what the rest of the
program may rely on, whatever database is behind ``monitor/store``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from helpers import assign_stories

from monitor import assign
from monitor.dedup.config import DedupConfig
from monitor.dedup.index import StoryIndex
from monitor.errors import StoreError
from monitor.events import EventConfig, EventIndex
from monitor.models import Alert, Item, Match, StoredItem, TermHit
from monitor.store import Store, expiry, report
from monitor.store import alerts as alert_rows
from monitor.store import events as event_store
from monitor.store import feeds as feed_store
from monitor.store import items as item_store
from monitor.store import matches as match_store
from monitor.store import stories as story_store
from monitor.store import websub as ws_store
from monitor.store.feeds import StateWrites
from monitor.store.migrate import pending
from monitor.store.migrations import MIGRATIONS

NOW = datetime(2025, 9, 5, 12, 0, tzinfo=UTC)
RAIL = "Mayor calls emergency summit over rail strike"
RAIL_UPDATE = "UPDATE 1-Harbour city mayor calls emergency summit on rail strike"
BOMB = "Suicide bomber kills 12 in Nigeria church"


def _item(key: str, title: str, minutes: int, url: str | None = None) -> Item:
    when = NOW + timedelta(minutes=minutes)
    return Item(key=key, title=title, summary="s", url=url, canonical_url=url, guid=None,
                published=when, first_seen=when)  # fmt: skip


async def _insert(store: Store, feed_url: str, name: str, items: list[Item]) -> list[StoredItem]:
    async with store.transaction() as db:
        feed = (await feed_store.sync_feeds(db, [feed_url]))[feed_url]
        inserted = await item_store.insert_new(db, feed.id, items)
    return [StoredItem(i, feed.id, name, (), item) for i, item in inserted]


async def _alert(
    db: object, channel: str = "desk", key: str = "k1", story: int | None = None
) -> int | None:
    alert = Alert(id=0, channel=channel, kind="new", title="Rail strike", rule="r", story_id=story)
    return await alert_rows.insert(db, alert, dedup_key=key, now=NOW.timestamp())  # type: ignore[arg-type]


async def test_a_new_database_is_migrated_once_and_reopens_with_nothing_pending(
    database: str,
) -> None:
    store = await Store.open(database)
    try:
        assert await pending(store.db) == []
        names = await store.db.fetch_all("SELECT name FROM migrations")
        assert sorted(r[0] for r in names) == sorted(m.__name__ for m in MIGRATIONS)
    finally:
        await store.close()
    again = await Store.open(database)
    await again.close()
    reader = await Store.open_readonly(database)
    try:
        assert await report.rows_in(reader.db, ("feeds", "items")) == {"feeds": 0, "items": 0}
    finally:
        await reader.close()


async def test_feeds_are_synced_once_and_their_state_round_trips(database: str) -> None:
    store = await Store.open(database)
    try:
        async with store.transaction() as db:
            states = await feed_store.sync_feeds(db, ["http://a/rss", "http://b/rss"])
        async with store.transaction() as db:
            again = await feed_store.sync_feeds(db, ["http://a/rss", "http://b/rss"])
        assert {u: s.id for u, s in states.items()} == {u: s.id for u, s in again.items()}
        state = states["http://a/rss"]
        state.etag, state.last_modified, state.body_hash = '"v1"', "Fri, 05 Sep 2025", "abc"
        state.last_status, state.last_checked, state.error_streak = 200, 1.5e9, 2
        state.last_error, state.health_alerted, state.last_cut = "boom", 1, 7
        async with store.transaction() as db:
            await feed_store.save_state(db, state)
        (back,) = [s for s in await feed_store.all_feeds(store.db) if s.url == "http://a/rss"]
        assert back == state
        other = states["http://b/rss"]
        other.etag = '"w"'
        writes = StateWrites(store, delay=0.01)
        writes.add(other)
        await writes.close()
        (b,) = [s for s in await feed_store.all_feeds(store.db) if s.url == "http://b/rss"]
        assert b.etag == '"w"'
    finally:
        await store.close()


async def test_only_new_items_are_stored_and_numbered(database: str) -> None:
    store = await Store.open(database)
    try:
        first = await _insert(
            store, "http://a/rss", "A", [_item("1", RAIL, 0), _item("2", BOMB, 1)]
        )
        again = await _insert(
            store, "http://a/rss", "A", [_item("2", BOMB, 1), _item("3", RAIL, 2)]
        )
        assert [s.item.key for s in first] == ["1", "2"]
        assert [s.item.key for s in again] == ["3"]
        assert len({s.id for s in first + again}) == 3
        other = await _insert(store, "http://b/rss", "B", [_item("1", RAIL, 0)])
        assert len(other) == 1  # keys are per feed
        async with store.transaction() as db:
            known = await item_store.known_keys(db, first[0].feed_id, ["1", "3", "9"])
            minute = (NOW + timedelta(minutes=1)).timestamp()
            feed_id = first[0].feed_id
            recent = await item_store.first_seen_between(db, feed_id, minute, minute + 3600)
            rate = await item_store.publishing_since(db, first[0].feed_id, 0.0)
        assert known == {"1", "3"}
        assert sorted(recent) == [(NOW + timedelta(minutes=m)).timestamp() for m in (1, 2)]
        assert rate is not None and rate.count == 3
    finally:
        await store.close()


async def test_a_transaction_that_fails_leaves_nothing_behind(database: str) -> None:
    store = await Store.open(database)
    try:
        with pytest.raises(RuntimeError):
            async with store.transaction() as db:
                await feed_store.sync_feeds(db, ["http://a/rss"])
                raise RuntimeError("the poll failed")
        assert await feed_store.all_feeds(store.db) == []
        with pytest.raises(StoreError):  # a refused statement: one clear StoreError
            async with store.transaction() as db:
                await db.execute("INSERT INTO items (feed_id, key) VALUES (?, ?)", (999, "k"))
        assert await report.rows_in(store.db, ("items",)) == {"items": 0}
        assert store.problem() is None  # a constraint refused is not a failing store
    finally:
        await store.close()


async def test_stories_join_count_outlets_list_and_rebuild(database: str) -> None:
    store = await Store.open(database)
    try:
        index = StoryIndex(DedupConfig())
        wire = await _insert(store, "http://wire/rss", "Wire", [
            _item("a", RAIL, 0, "https://wire/a"), _item("b", BOMB, 1, "https://wire/b"),
        ])  # fmt: skip
        herald = await _insert(store, "http://herald/rss", "Herald",
                               [_item("c", RAIL_UPDATE, 5, "https://herald/c")])  # fmt: skip
        async with store.transaction() as db:
            first = await assign_stories(db, index, wire)
        async with store.transaction() as db:
            (joined,) = await assign_stories(db, index, herald)
        assert [c.is_new_story for c in first] == [True, True]
        assert not joined.is_new_story and joined.gained_outlet
        assert joined.story.id == first[0].story.id
        assert joined.story.outlets == ("Wire", "Herald")
        loaded = await story_store.load_stories(store.db, [joined.story.id])
        assert loaded[joined.story.id].outlets == ("Wire", "Herald")
        listed = await story_store.list_stories(store.db, None)
        rail = next(s for s in listed if s["id"] == joined.story.id)
        assert rail["outlets"] == 2 and [i["feed"] for i in rail["items"]] == ["Wire", "Herald"]
        rebuilt = StoryIndex(DedupConfig())
        assert await story_store.rebuild_index(store.db, rebuilt, NOW - timedelta(days=1)) == 3
        found = rebuilt.find(RAIL_UPDATE, "", (NOW + timedelta(minutes=9)).timestamp(), None, None)
        assert found.story_id == joined.story.id
    finally:
        await store.close()


# Polls of one story (and one other), each (feed, [(key, title, minute)]), and the outlets
# the rail story shows after it: by when each feed first carried it, not by poll order.
POLLS = [
    ([("Wire", [("a", RAIL, 10), ("b", BOMB, 11)])], ("Wire",)),
    ([("Herald", [("c", RAIL_UPDATE, 5)])], ("Herald", "Wire")),  # seen before Wire's
    ([("Wire", [("d", RAIL_UPDATE, 20)])], ("Herald", "Wire")),  # a feed it had: no outlet
    # one call of several feeds: a story it starts is joined by a later item of it
    ([("Gazette", [("e", "Volcano erupts near Naples, villages evacuated", 30)]),
      ("Post", [("f", "Volcano erupts near Naples; villages evacuated", 25), ("g", RAIL, 40)])],
     ("Herald", "Wire", "Post")),
]  # fmt: skip


async def test_a_poll_s_stories_are_as_the_store_reads_them_back(database: str) -> None:
    store = await Store.open(database)
    try:
        index = StoryIndex(DedupConfig())
        rail = None
        for feeds, outlets in POLLS:
            stored = []
            for name, items in feeds:
                url = f"http://{name.lower()}/rss"
                polled = [_item(k, t, m, f"https://{name}/{k}") for k, t, m in items]
                stored += await _insert(store, url, name, polled)
            async with store.transaction() as db:
                changes = await assign_stories(db, index, stored)
            rail = rail or changes[0].story.id
            joined = [c.story for c in changes if not c.is_new_story]
            loaded = await story_store.load_stories(store.db, [s.id for s in joined])
            assert joined == [loaded[s.id] for s in joined]
            assert (await story_store.load_stories(store.db, [rail]))[rail].outlets == outlets
        assert sum(c.is_new_story for c in changes) == 1  # the volcano, joined in its poll
    finally:
        await store.close()


async def test_events_are_recorded_listed_and_rebuilt(database: str) -> None:
    store = await Store.open(database)
    try:
        stored = await _insert(store, "http://wire/rss", "Wire", [
            _item("a", RAIL, 0, "https://wire/a"), _item("b", BOMB, 1, "https://wire/b"),
        ])  # fmt: skip
        events = EventIndex(EventConfig(), 3 * 86400.0)
        async with store.transaction() as db:
            changes = await assign_stories(db, StoryIndex(DedupConfig()), stored)
            ids = await event_store.reserve_ids(db, len(changes))
            plan = assign.events(events, changes, ids)
            await event_store.record(db, plan)
        event_ids = sorted({c.event_id for c in plan.changes})
        loaded = await event_store.load_events(store.db, event_ids)
        assert sorted(loaded) == event_ids
        assert all(e.outlets == ("Wire",) for e in loaded.values())
        listed = await event_store.list_events(store.db, None)
        assert sorted(e["id"] for e in listed) == event_ids
        assert sum(len(e["stories"]) for e in listed) == 2
        again = EventIndex(EventConfig(), 3 * 86400.0)
        assert await event_store.rebuild_index(store.db, again, NOW - timedelta(days=1)) == 2
    finally:
        await store.close()


async def test_a_match_is_recorded_once_per_item_and_rule(database: str) -> None:
    store = await Store.open(database)
    try:
        stored = await _insert(store, "http://a/rss", "A", [_item("a", RAIL, 0)])
        match = Match("rail", "normal", ("desk",), (TermHit("rail", "rail", "title", 0, 4),), "s")
        async with store.transaction() as db:
            (change,) = await assign_stories(db, StoryIndex(DedupConfig()), stored)
            first = await match_store.record(db, change.story.id, stored[0].id, match, 1.0)
            second = await match_store.record(db, change.story.id, stored[0].id, match, 2.0)
        assert (first, second) == (True, False)
        assert (await report.rows_in(store.db, ("matches",)))["matches"] == 1
    finally:
        await store.close()


async def test_an_alert_key_is_queued_once_and_moves_through_its_states(database: str) -> None:
    store = await Store.open(database)
    now = NOW.timestamp()
    try:
        async with store.transaction() as db:
            first = await _alert(db)
            twice = await _alert(db)
            other = await _alert(db, key="k2")
        assert first is not None and twice is None and other not in (None, first)
        assert await alert_rows.has_key(store.db, "desk", "k1")
        due = await alert_rows.due(store.db, "desk", now, 10)
        assert [d.alert.id for d in due] == [first, other]
        assert due[0].alert.title == "Rail strike" and due[0].attempts == 0
        assert await alert_rows.next_due(store.db, "desk") == now
        assert await alert_rows.deliverable(store.db, "desk", now) == 2
        async with store.transaction() as db:
            await alert_rows.mark_sent(db, [first], now=now + 1, external_id="42")
            await alert_rows.mark_retry(db, [other], now=now + 1, next_attempt=now + 60, error="e")
        assert await alert_rows.current(store.db, first) == (due[0].payload, "42")
        assert await alert_rows.sent_since(store.db, "desk", ["new"], now) == [("r", now + 1)]
        async with store.transaction() as db:
            expired = await alert_rows.expire_overdue(
                db, "desk", created_before=now + 1, now=now + 2, error="too old"
            )
        assert expired == [other]
        counts = await report.counts(store.db)
        assert counts == {"desk": {"sent": 1, "expired": 1}}
        (gone,) = await report.given_up(store.db)
        assert gone["id"] == other and gone["last_error"] == "too old (1 attempts)"
        update = Alert(id=0, channel="desk", kind="update", title="grew", rule="r")
        async with store.transaction() as db:
            for _ in range(2):  # the one update row of a sent message, refreshed
                await alert_rows.upsert_update(
                    db, update, dedup_key="u1", external_id="42", now=now, due=now + 5
                )
            by_key = await alert_rows.by_key(db, "desk", "u1")
            moved = await alert_rows.bring_forward(db, "update", now)
        assert by_key is not None and by_key[1] == "pending" and by_key[0].external_id == "42"
        assert moved == 1
        assert await report.oldest_pending(store.db) == now
    finally:
        await store.close()


async def test_retention_deletes_in_order_and_keeps_pending_alerts(database: str) -> None:
    store = await Store.open(database)
    try:
        stored = await _insert(store, "http://a/rss", "A", [_item("a", RAIL, 0)])
        async with store.transaction() as db:
            await assign_stories(db, StoryIndex(DedupConfig()), stored)
            await _alert(db)
        cutoff = (NOW + timedelta(days=1)).timestamp()
        async with store.transaction() as db:
            deleted = [await expiry.delete_older(db, t, cutoff, 100) for t in expiry.PRUNED]
        assert deleted == [1, 1, 0, 0]  # items, stories, events, alerts (still pending)
        assert await report.rows_in(store.db, ("items", "stories", "alerts")) == {
            "items": 0, "stories": 0, "alerts": 1,
        }  # fmt: skip
    finally:
        await store.close()


async def test_websub_subscriptions_and_refusals_round_trip(database: str) -> None:
    store = await Store.open(database)
    try:
        async with store.transaction() as db:
            sub = await ws_store.add(db, feed_url="http://a/rss", hub="http://hub/",
                                     topic="http://a/self", token="t0k3n", secret="s3cr3t")  # fmt: skip
            sub.state, sub.lease_end, sub.pushes = "live", 123.5, 3
            await ws_store.save(db, sub)
            await ws_store.count_refusals(db, {"bad_signature": 2})
            await ws_store.count_refusals(db, {"bad_signature": 1, "unknown": 1})
        assert await ws_store.all_subscriptions(store.db) == [sub]
        assert await ws_store.refusals(store.db) == {"bad_signature": 3, "unknown": 1}
        async with store.transaction() as db:
            await ws_store.delete(db, sub.id)
        assert await ws_store.all_subscriptions(store.db) == []
    finally:
        await store.close()


async def test_reserved_ids_are_new_and_only_for_numbered_tables(database: str) -> None:
    store = await Store.open(database)
    try:
        stored = await _insert(
            store, "http://a/rss", "A", [_item("a", RAIL, 0), _item("b", BOMB, 1)]
        )
        async with store.transaction() as db:
            await assign_stories(db, StoryIndex(DedupConfig()), stored)
        async with store.transaction() as db:
            ids = await db.reserve_ids("stories", 5)
            taken = await db.fetch_val("SELECT MAX(id) FROM stories")
        assert len(set(ids)) == 5 and min(ids) > taken
        with pytest.raises(ValueError):  # matches are numbered as they are inserted
            async with store.transaction() as db:
                await db.reserve_ids("matches", 1)
        with pytest.raises(ValueError):
            async with store.transaction() as db:
                await db.reserve_ids("alerts; DROP TABLE feeds", 1)
    finally:
        await store.close()
