"""Migrations: a database made by an older version is brought up to date in place, its data
kept; each migration is recorded once, by name, even when two processes migrate at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiosqlite
import pytest

from monitor.store import Store
from monitor.store.migrations import MIGRATIONS
from monitor.store.sqlite import SqliteDb, migrate_connection


async def _indexes(db: aiosqlite.Connection) -> set[str]:
    rows = await db.execute_fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'items'"
    )
    return {r[0] for r in rows}


async def test_an_older_database_loses_the_unused_item_indexes_and_keeps_its_items(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.db"
    async with aiosqlite.connect(path, isolation_level=None) as db:  # as version 6 left it
        await db.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at REAL NOT NULL)"
        )
        for version, migration in enumerate(MIGRATIONS[:5], start=1):
            await migration(SqliteDb(db))
            await db.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, 0)", (version, migration.__name__)
            )
        await db.execute("INSERT INTO feeds (url, created_at) VALUES ('http://a/feed', 0)")
        await db.execute(
            "INSERT INTO items (feed_id, key, guid, url, canonical_url, title, summary,"
            " first_seen) VALUES (1, 'k', 'g', 'https://a/1', 'https://a/1', 'T', '', 0)"
        )
        assert {"items_canonical_url", "items_guid"} <= await _indexes(db)
    store = await Store.open(path)
    try:
        indexes = await _indexes(store.db.raw)
        assert not {"items_canonical_url", "items_guid"} & indexes
        assert {"items_first_seen", "items_story"} <= indexes
        rows = await store.db.raw.execute_fetchall("SELECT key, canonical_url, guid FROM items")
        assert [tuple(r) for r in rows] == [("k", "https://a/1", "g")]
        names = await store.db.raw.execute_fetchall("SELECT name FROM migrations")
        assert sorted(r[0] for r in names) == sorted(m.__name__ for m in MIGRATIONS)
    finally:
        await store.close()
    again = await Store.open(path)  # nothing left to apply
    await again.close()


async def _numbered_database(path: Path, count: int) -> None:
    """A database as the code before named migrations left it: ``count`` migrations applied,
    recorded in ``schema_migrations`` by their place in the list (m004 as version 3)."""
    async with aiosqlite.connect(path, isolation_level=None) as db:
        await db.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at REAL NOT NULL)"
        )
        for version, migration in enumerate(MIGRATIONS[:count], start=1):
            await migration(SqliteDb(db))
            await db.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, 0)", (version, migration.__name__)
            )
        await db.execute("INSERT INTO feeds (url, created_at) VALUES ('http://a/feed', 0)")


@pytest.mark.parametrize("applied", [2, 3, 6])
async def test_a_numbered_database_is_upgraded_to_named_migrations(
    tmp_path: Path, applied: int
) -> None:
    path = tmp_path / "m.db"
    await _numbered_database(path, applied)
    store = await Store.open(path)
    try:
        names = await store.db.raw.execute_fetchall("SELECT name FROM migrations")
        assert sorted(r[0] for r in names) == sorted(m.__name__ for m in MIGRATIONS)
        tables = await store.db.raw.execute_fetchall("SELECT name FROM sqlite_master")
        assert "schema_migrations" not in {r[0] for r in tables}
        columns = await store.db.raw.execute_fetchall("PRAGMA table_info(items)")
        assert {"feed_name", "headline_key"} <= {r[1] for r in columns}
        feeds = await store.db.raw.execute_fetchall("SELECT url FROM feeds")
        assert [r[0] for r in feeds] == ["http://a/feed"]
    finally:
        await store.close()


async def test_two_connections_migrating_a_new_database_at_once_apply_each_migration_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.db"
    a = await aiosqlite.connect(path, isolation_level=None, timeout=30)
    b = await aiosqlite.connect(path, isolation_level=None, timeout=30)
    try:
        done = await asyncio.gather(migrate_connection(a), migrate_connection(b))
        assert sorted(done[0] + done[1]) == sorted(m.__name__ for m in MIGRATIONS)
        names = await a.execute_fetchall("SELECT name FROM migrations")
        assert len(names) == len(MIGRATIONS)
    finally:
        await a.close()
        await b.close()
