"""A store the version before m021 left (outlets kept per feed, no ``items.source``) upgrades
in place on both backends: its items are their feeds' (no guess at what their ``<source>``
was), and every outlet row is kept: each is a feed's own outlet, one per feed, whatever its
name (two feeds named "Reuters" are two outlets, as before m021)."""

from __future__ import annotations

from typing import Any

import aiosqlite
import asyncpg
from helpers import schema_before

from monitor.store import Store
from monitor.store.events import load_events
from monitor.store.migrations import MIGRATIONS, m021_outlets_by_name
from monitor.store.pgdb import PgConnDb
from monitor.store.sqlite import SqliteDb
from monitor.store.story_rows import load_stories

FEEDS = ["Google News - Ukraine", "Reuters", "Reuters"]  # two feeds of one name (a rename)


async def _before(db: Any, feeds: list[str] = FEEDS) -> None:
    """One story of one event, carried by the feeds, as the version before kept it."""
    await schema_before(db, m021_outlets_by_name)
    await db.execute("INSERT INTO events (id, title, first_seen, last_seen) VALUES (1, 'T', 0, 3)")
    await db.execute(
        "INSERT INTO stories (id, title, first_item_id, first_seen, last_seen, outlets, event_id)"
        " VALUES (1, 'T', 1, 0, 3, 3, 1)"
    )
    for n, name in enumerate(feeds, start=1):
        await db.execute(
            "INSERT INTO feeds (id, url, title, created_at) VALUES (?, ?, ?, 0)",
            (n, f"http://feeds.example/{n}", name),
        )
        await db.execute(
            "INSERT INTO items (id, feed_id, key, title, summary, first_seen, story_id,"
            " feed_name) VALUES (?, ?, ?, 'T', '', ?, 1, ?)",
            (n, n, f"k{n}", float(n), name),
        )
        for table, owner in (("story_outlets", "story_id"), ("event_outlets", "event_id")):
            await db.execute(
                f"INSERT INTO {table} ({owner}, feed_id, name, first_seen, item_id)"
                " VALUES (1, ?, ?, ?, ?)",
                (n, name, float(n), n),
            )


async def _older_store(database: str, feeds: list[str] = FEEDS) -> None:
    if database.startswith("postgres"):
        conn = await asyncpg.connect(database)
        try:
            await _before(PgConnDb(conn), feeds)
        finally:
            await conn.close()
    else:
        async with aiosqlite.connect(database, isolation_level=None) as raw:
            await _before(SqliteDb(raw), feeds)


async def test_an_older_store_keeps_its_outlets_by_feed(database: str) -> None:
    await _older_store(database)
    store = await Store.open(database)  # the upgrade
    try:
        story = (await load_stories(store.db, [1]))[1]
        event = (await load_events(store.db, [1]))[1]
        assert story.outlets == event.outlets == ("Google News - Ukraine", "Reuters", "Reuters")
        assert story.outlet_keys == event.outlet_keys == ("f:1", "f:2", "f:3")
        assert await store.db.fetch_val("SELECT outlets FROM stories WHERE id = 1") == 3
        sources = await store.db.fetch_all("SELECT source FROM items ORDER BY id")
        assert [r[0] for r in sources] == [None, None, None]  # no guess
        names = {str(r[0]) for r in await store.db.fetch_all("SELECT name FROM migrations")}
        assert names == {m.__name__ for m in MIGRATIONS}
    finally:
        await store.close()


async def test_an_older_store_with_a_long_feed_name_upgrades(database: str) -> None:
    """A feed named by a 6,000-character <title> before m021: its rows are keyed by the feed,
    their name is no key and is kept whole (review20a D1: as a key, PostgreSQL refused the
    upgrade, "index row size exceeds btree version 4 maximum 2704", and no node could
    start)."""
    long = "".join(f"{n:04d}" for n in range(1500))  # 6,000 characters, incompressible-ish
    await _older_store(database, ["Reuters", long])
    store = await Store.open(database)  # the upgrade
    try:
        story = (await load_stories(store.db, [1]))[1]
        event = (await load_events(store.db, [1]))[1]
        assert story.outlets == event.outlets == ("Reuters", long)
    finally:
        await store.close()
