"""A store the version before m022 left (outlets by ``<source>`` name, else by feed; no
site) upgrades in place on both backends, with rows in it: its items and outlet rows have no
site (none was kept to guess it from) and keep their identity; a site's outlet that the next
poll brings is another row, even where a <source> without an address has its name."""

from __future__ import annotations

from typing import Any

import aiosqlite
import asyncpg
from helpers import schema_before

from monitor.store import Store
from monitor.store.events import load_events
from monitor.store.migrations import MIGRATIONS, m022_outlets_by_site
from monitor.store.pgdb import PgConnDb
from monitor.store.sqlite import SqliteDb
from monitor.store.story_rows import load_stories

TABLES = (("story_outlets", "story_id"), ("event_outlets", "event_id"))


async def _before(db: Any) -> None:
    """One story of one event: Reuters' own feed, and Google News' <source>Reuters</source>,
    as the version before kept them."""
    await schema_before(db, m022_outlets_by_site)
    await db.execute("INSERT INTO events (id, title, first_seen, last_seen) VALUES (1, 'T', 0, 3)")
    await db.execute(
        "INSERT INTO stories (id, title, first_item_id, first_seen, last_seen, outlets, event_id)"
        " VALUES (1, 'T', 1, 0, 3, 2, 1)"
    )
    for n, (name, source) in enumerate(
        [("Reuters World News", None), ("Google News - Ukraine", "Reuters")], start=1
    ):
        await db.execute(
            "INSERT INTO feeds (id, url, title, created_at) VALUES (?, ?, ?, 0)",
            (n, f"http://feeds.example/{n}", name),
        )
        await db.execute(
            "INSERT INTO items (id, feed_id, key, title, summary, first_seen, story_id,"
            " feed_name, source) VALUES (?, ?, ?, 'T', '', ?, 1, ?, ?)",
            (n, n, f"k{n}", float(n), name, source),
        )
        for table, owner in TABLES:
            await db.execute(
                f"INSERT INTO {table} ({owner}, feed_id, name, first_seen, item_id)"
                " VALUES (1, ?, ?, ?, ?)",
                (None if source else n, source or name, float(n), n),
            )


async def _older_store(database: str) -> None:
    if database.startswith("postgres"):
        conn = await asyncpg.connect(database)
        try:
            await _before(PgConnDb(conn))
        finally:
            await conn.close()
    else:
        async with aiosqlite.connect(database, isolation_level=None) as raw:
            await _before(SqliteDb(raw))


async def test_an_older_store_keeps_its_outlets_and_takes_sites(database: str) -> None:
    await _older_store(database)
    store = await Store.open(database)  # the upgrade
    try:
        story = (await load_stories(store.db, [1]))[1]
        event = (await load_events(store.db, [1]))[1]
        assert story.outlets == event.outlets == ("Reuters World News", "Reuters")
        assert story.outlet_keys == event.outlet_keys == ("f:1", "s:Reuters")
        sites = await store.db.fetch_all("SELECT site FROM items ORDER BY id")
        assert [r[0] for r in sites] == [None, None]  # no guess
        # a reader's <source url="https://www.reuters.com">Reuters</source> next: a third row,
        # not one the <source> without an address of that name hides.
        async with store.transaction() as db:
            for table, owner in TABLES:
                await db.execute(
                    f"INSERT INTO {table} ({owner}, feed_id, name, first_seen, item_id, site)"
                    " VALUES (1, NULL, 'Reuters', 3, 3, 'reuters.com') ON CONFLICT DO NOTHING"
                )
        story = (await load_stories(store.db, [1]))[1]
        event = (await load_events(store.db, [1]))[1]
        assert story.outlet_keys == event.outlet_keys == ("f:1", "s:Reuters", "d:reuters.com")
        names = {str(r[0]) for r in await store.db.fetch_all("SELECT name FROM migrations")}
        assert names == {m.__name__ for m in MIGRATIONS}
    finally:
        await store.close()
