"""Applying the schema migrations (``monitor.store.migrations``): each not yet recorded, in
order, in its own write transaction with its record."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from monitor.store.db import Db
from monitor.store.migrations import MIGRATIONS

# A write transaction on the database being migrated, yielding it.
Begin = Callable[[], AbstractAsyncContextManager[Db]]

# Before migrations were keyed by name, ``schema_migrations`` numbered them by their place in
# the list (m004 was version 3). What those numbers meant, for databases that only have them.
_LEGACY_VERSIONS = {
    1: "m001_feeds_items",
    2: "m002_outbox",
    3: "m004_alerts_by_story",
    4: "m005_item_feed_name",
    5: "m006_item_dedup_key",
    6: "m007_drop_item_url_guid_indexes",
}


async def _table_exists(db: Db, name: str) -> bool:
    if db.dialect == "sqlite":
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    else:
        sql = (
            "SELECT 1 FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_name = ?"
        )
    return await db.fetch_one(sql, (name,)) is not None


async def _applied(db: Db) -> set[str]:
    """The names of the migrations the database has (read-only: nothing is created)."""
    names: set[str] = set()
    if await _table_exists(db, "migrations"):
        names.update(str(row[0]) for row in await db.fetch_all("SELECT name FROM migrations"))
    if await _table_exists(db, "schema_migrations"):  # not yet converted
        for version, name in await db.fetch_all("SELECT version, name FROM schema_migrations"):
            names.add(_LEGACY_VERSIONS.get(int(version), str(name)))
    return names


async def _bookkeeping(db: Db) -> set[str]:
    """The ``migrations`` table (created, or converted from the numbered one); what it holds."""
    await db.script(
        "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL);"
    )
    if await _table_exists(db, "schema_migrations"):
        rows = await db.fetch_all("SELECT version, name, applied_at FROM schema_migrations")
        await db.execute_many(
            "INSERT INTO migrations (name, applied_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(_LEGACY_VERSIONS.get(int(v), str(n)), at) for v, n, at in rows],
        )
        await db.execute("DROP TABLE schema_migrations")
    return await _applied(db)


async def pending(db: Db) -> list[str]:
    """The names of the migrations not yet applied (reads only)."""
    done = await _applied(db)
    return [m.__name__ for m in MIGRATIONS if m.__name__ not in done]


async def migrate(db: Db, begin: Begin) -> list[str]:
    """Apply every migration not yet recorded; return the names applied now.

    Each runs in its own write transaction (``begin``) with its record, and what has been
    applied is read inside that transaction: on SQLite, BEGIN IMMEDIATE takes the write lock
    first; on PostgreSQL the caller holds an advisory lock around the whole run. A second
    process migrating the same database at the same moment waits, then finds the work done.
    """
    applied: list[str] = []
    while True:
        async with begin() as tx:
            done = await _bookkeeping(tx)
            todo = [m for m in MIGRATIONS if m.__name__ not in done]
            if todo:
                await todo[0](tx)
                await tx.execute(
                    "INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                    (todo[0].__name__, time.time()),
                )
        if not todo:
            return applied
        applied.append(todo[0].__name__)
