"""Versioned migrations: a database made by an older version is brought up to date in
place, its data kept; each migration is recorded once."""

from __future__ import annotations

from pathlib import Path

import aiosqlite

from monitor.store import Store
from monitor.store.migrations import MIGRATIONS


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
            await migration(db)
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
        indexes = await _indexes(store.db)
        assert not {"items_canonical_url", "items_guid"} & indexes
        assert {"items_first_seen", "items_story"} <= indexes
        rows = await store.db.execute_fetchall("SELECT key, canonical_url, guid FROM items")
        assert [tuple(r) for r in rows] == [("k", "https://a/1", "g")]
        versions = await store.db.execute_fetchall(
            "SELECT version, name FROM schema_migrations ORDER BY version"
        )
        assert [r[0] for r in versions] == list(range(1, len(MIGRATIONS) + 1))
        assert "m007_drop_item_url_guid_indexes" in [r[1] for r in versions]
    finally:
        await store.close()
    again = await Store.open(path)  # nothing left to apply
    await again.close()
