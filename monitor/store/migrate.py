"""Applying the schema migrations (``monitor.store.migrations``): each not yet recorded, in
order, in its own write transaction with its record."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from monitor.errors import StoreError
from monitor.store.db import Db
from monitor.store.migrations import MIGRATIONS

log = logging.getLogger("monitor.store")

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
# Names a development version recorded before the migration was renamed: not a newer version's.
_RETIRED = {"m008_events", "m008_websub", "m013_items_story_feed", "m020_item_first_poll"}
_KNOWN = {m.__name__ for m in MIGRATIONS} | _RETIRED


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


def _refuse_newer(done: set[str]) -> None:
    """A database a newer version migrated may hold what this one would misread or undo
    (a rollback after an upgrade): it is refused, not used."""
    newer = sorted(done - _KNOWN)
    if newer:
        raise StoreError(
            "the database was upgraded by a newer version of monitor (it has migration"
            f" {', '.join(newer)}, which this version does not know): run that version, or"
            " restore the backup made before the upgrade"
        )


async def pending(db: Db) -> list[str]:
    """The names of the migrations not yet applied (reads only); a database a newer version
    migrated is refused (``StoreError``)."""
    done = await _applied(db)
    _refuse_newer(done)
    return [m.__name__ for m in MIGRATIONS if m.__name__ not in done]


async def migrate(db: Db, begin: Begin) -> list[str]:
    """Apply every migration not yet recorded; return the names applied now.

    Each runs in its own write transaction (``begin``) with its record, and what has been
    applied is read inside that transaction: on SQLite, BEGIN IMMEDIATE takes the write lock
    first; on PostgreSQL the caller holds an advisory lock around the whole run. A second
    process migrating the same database at the same moment waits, then finds the work done.
    A database a newer version migrated is refused (``StoreError``) before anything is
    written. Applying any logs one line: the schema created, or brought from which migration
    to which.
    """
    applied: list[str] = []
    fresh = False
    while True:
        async with begin() as tx:
            done = await _bookkeeping(tx)
            _refuse_newer(done)
            fresh = fresh or not done
            todo = [m for m in MIGRATIONS if m.__name__ not in done]
            if todo:
                await todo[0](tx)
                await tx.execute(
                    "INSERT INTO migrations (name, applied_at) VALUES (?, ?)",
                    (todo[0].__name__, time.time()),
                )
        if not todo:
            _log_applied(applied, fresh)
            return applied
        applied.append(todo[0].__name__)


def _log_applied(applied: list[str], fresh: bool) -> None:
    if not applied:
        return
    if fresh:
        log.info("created the database schema (%d migrations)", len(applied))
    else:
        log.info(
            "upgraded the database: %d migration%s applied (%s)",
            len(applied),
            "" if len(applied) == 1 else "s",
            ", ".join(applied),
        )
