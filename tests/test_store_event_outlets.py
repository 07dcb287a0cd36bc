"""What a story's and an event's alerts show of them. A story's outlets: each feed once, in
the order they first carried it. An event's, kept as its items come (``event_outlets``, the
events' newest headline) and not read from all its items: the outlets in the order they first
carried it and the newest headline by publication, after polls that grow it, after a story
moves to it from another event, and in a database made before they were kept (both kinds). On both
backends (the migration on SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosqlite
from helpers import assign_stories

from monitor import assign
from monitor.assign import EventChange, EventPlan, StoryChange
from monitor.dedup.config import DedupConfig
from monitor.dedup.index import StoryIndex
from monitor.events import EventConfig, EventIndex
from monitor.models import Item, StoredItem
from monitor.store import Store, event_outlets
from monitor.store import events as event_store
from monitor.store import feeds as feed_store
from monitor.store import items as item_store
from monitor.store import stories as story_store
from monitor.store.migrations import MIGRATIONS
from monitor.store.sqlite import SqliteDb

NOW = datetime(2025, 9, 5, 12, 0, tzinfo=UTC)
RAIL = "Mayor calls emergency summit over rail strike"
RAIL_AGAIN = "Mayor calls emergency summit over rail strike as unions walk out"
RAIL_LATE = "Rail strike summit: mayor and unions agree to talks"


def _item(key: str, title: str, minutes: int, published: int | None = None) -> Item:
    seen = NOW + timedelta(minutes=minutes)
    when = None if published is None else NOW + timedelta(minutes=published)
    return Item(key=key, title=title, summary="rail strike summit mayor", url=None,
                canonical_url=None, guid=None, published=when, first_seen=seen)  # fmt: skip


async def _poll(store: Store, name: str, items: list[Item]) -> list[StoredItem]:
    url = f"http://{name.lower()}/rss"
    async with store.transaction() as db:
        feed = (await feed_store.sync_feeds(db, [url]))[url]
        inserted = await item_store.insert_new(db, feed.id, items)
    return [StoredItem(i, feed.id, name, (), item) for i, item in inserted]


async def _assign(
    store: Store, stories: StoryIndex, events: EventIndex, stored: list[StoredItem]
) -> EventPlan:
    async with store.transaction() as db:
        changes = await assign_stories(db, stories, stored)
        plan = assign.events(events, changes, await event_store.reserve_ids(db, len(changes)))
        await event_store.record(db, plan)
    return plan


async def test_an_events_outlets_and_newest_headline_follow_its_polls(database: str) -> None:
    # (outlet, items (key, headline, minutes after NOW, published minutes or None)), a poll
    # each, in this order; then the outlets and newest headline a user's alert shows.
    polls = [
        ("Wire", [("w1", RAIL, 0, 0)]),
        ("Herald", [("h1", RAIL, 5, 1)]),
        ("Wire", [("w2", RAIL_AGAIN, 10, 9)]),
        ("Post", [("p1", RAIL_LATE, 12, 30), ("p2", RAIL, 12, None)]),
        ("Herald", [("h2", RAIL_AGAIN, 20, 15)]),  # older news than Post's p1
    ]
    store = await Store.open(database)
    stories, events = StoryIndex(DedupConfig()), EventIndex(EventConfig(), 3 * 86400.0)
    try:
        event_ids: set[int] = set()
        for name, items in polls:
            stored = await _poll(store, name, [_item(*i) for i in items])
            plan = await _assign(store, stories, events, stored)
            event_ids |= {c.event_id for c in plan.changes}
        (event_id,) = event_ids
        event = (await event_store.load_events(store.db, [event_id]))[event_id]
        assert event.outlets == ("Wire", "Herald", "Post")
        assert event.latest == RAIL_LATE
    finally:
        await store.close()


async def test_a_story_that_moves_takes_its_outlets_to_its_new_event(database: str) -> None:
    store = await Store.open(database)
    stories, events = StoryIndex(DedupConfig()), EventIndex(EventConfig(), 3 * 86400.0)
    try:
        wire = await _poll(store, "Wire", [_item("w1", RAIL, 0, 0)])
        (old,) = (await _assign(store, stories, events, wire)).changes
        herald = await _poll(store, "Herald", [_item("h1", RAIL_LATE, 5, 40)])
        # Herald's story starts an event of its own; then Wire's story (whose event had
        # closed, say) joins it with an item from Post: it leaves its old event.
        (other,) = (
            await _assign(store, StoryIndex(DedupConfig()), EventIndex(EventConfig(), 1.0), herald)
        ).changes
        assert other.event_id != old.event_id
        (post,) = await _poll(store, "Post", [_item("p1", RAIL_AGAIN, 20, 20)])
        change = StoryChange(post, old.story.story, is_new_story=False, gained_outlet=True)
        plan = EventPlan(
            changes=[EventChange(change, other.event_id, is_new_event=False)],
            story_links=[(other.event_id, old.story.story.id)],
            updates=[(RAIL_LATE, post.seen_at.timestamp(), 1, other.event_id)],
        )
        async with store.transaction() as db:
            await db.execute(
                "UPDATE items SET story_id = ?, feed_name = 'Post' WHERE id = ?",
                (old.story.story.id, post.id),
            )
            await event_store.record(db, plan)
        loaded = await event_store.load_events(store.db, [old.event_id, other.event_id])
        assert loaded[other.event_id].outlets == ("Wire", "Herald", "Post")
        assert loaded[other.event_id].latest == RAIL_LATE  # published at 40, the newest
        assert loaded[old.event_id].outlets == () and loaded[old.event_id].latest == ""
    finally:
        await store.close()


async def test_a_database_from_before_keeps_its_events_outlets_and_newest_headline(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.db"
    older = MIGRATIONS[: MIGRATIONS.index(_migration("m012_event_outlets"))]
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await db.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at REAL)")
        for migration in older:
            await migration(SqliteDb(db))
            await db.execute("INSERT INTO migrations VALUES (?, 0)", (migration.__name__,))
        await db.execute("INSERT INTO events VALUES (1, 'Rail strike', 0, 50, 2)")
        await db.execute("INSERT INTO stories (id, title, first_seen, last_seen, event_id)"
                         " VALUES (1, 'a', 0, 50, 1), (2, 'b', 0, 50, 1)")  # fmt: skip
        for feed, name in ((1, "Wire"), (2, "Herald"), (3, "Post")):
            await db.execute(
                "INSERT INTO feeds (id, url, title, created_at) VALUES (?, ?, ?, 0)",
                (feed, f"http://{name}", name),
            )
        # (id, feed, story, feed name, headline, published, first seen)
        for row in [
            (1, 2, 1, "Herald", "first", 10.0, 10.0),
            (2, 1, 1, "Wire", "second", 5.0, 20.0),
            (3, 2, 2, "Herald", "newest", 50.0, 30.0),
            (4, 1, 2, "Wire", "late copy", None, 40.0),
            (5, 3, 1, None, "from before feed names", 1.0, 45.0),
        ]:
            await db.execute(
                "INSERT INTO items (id, feed_id, key, title, summary, published, first_seen,"
                " story_id, feed_name) VALUES (?1, ?2, ?1, ?5, '', ?6, ?7, ?3, ?4)",
                row,
            )
    store = await Store.open(path)
    try:
        event = (await event_store.load_events(store.db, [1]))[1]
        assert event.outlets == ("Herald", "Wire") and event.latest == "newest"
        stories = await story_store.load_stories(store.db, [1, 2])
        assert stories[1].outlets == ("Herald", "Wire", "Post")  # Post by its feed's title
        assert stories[2].outlets == ("Herald", "Wire")
        count = await store.db.fetch_val("SELECT COUNT(*) FROM items")
        assert count == 5
    finally:
        await store.close()


def _migration(name: str) -> object:
    return next(m for m in MIGRATIONS if m.__name__ == name)


async def test_a_storys_outlets_are_each_feed_once_in_the_order_they_carried_it(
    database: str,
) -> None:
    polls = [("Herald", "h1", 0), ("Wire", "w1", 3), ("Herald", "h2", 5), ("Post", "p1", 9)]
    store = await Store.open(database)
    stories, events = StoryIndex(DedupConfig()), EventIndex(EventConfig(), 3 * 86400.0)
    try:
        for name, key, minutes in polls:
            stored = await _poll(store, name, [_item(key, RAIL, minutes, minutes)])
            (change,) = (await _assign(store, stories, events, stored)).changes
        story_id = change.story.story.id
        assert change.story.story.outlets == ("Herald", "Wire", "Post")
        loaded = await story_store.load_stories(store.db, [story_id])
        assert loaded[story_id].outlets == ("Herald", "Wire", "Post")
    finally:
        await store.close()


async def test_an_outlet_whose_item_retention_deleted_stays_when_a_story_moves(
    database: str,
) -> None:
    """Outlets shown never shrink: not as retention deletes old items, nor when a story's
    move has the event's outlets counted again from the items left."""
    store = await Store.open(database)
    stories, events = StoryIndex(DedupConfig()), EventIndex(EventConfig(), 3 * 86400.0)
    try:
        (wire,) = await _poll(store, "Wire", [_item("w1", RAIL, 0, 0)])
        (first,) = (await _assign(store, stories, events, [wire])).changes
        herald = await _poll(store, "Herald", [_item("h1", RAIL, 5, 1)])
        await _assign(store, stories, events, herald)
        async with store.transaction() as db:
            await db.execute("DELETE FROM items WHERE id = ?", (wire.id,))  # retention
            await event_outlets.recount(db, [first.event_id])  # as a story's move does
        loaded = await event_store.load_events(store.db, [first.event_id])
        assert loaded[first.event_id].outlets == ("Wire", "Herald")
    finally:
        await store.close()
