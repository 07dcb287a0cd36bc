"""store: every SQL statement of the program, over one of two backends.

SQLite (a file, through aiosqlite: WAL, one writer process) is the default; PostgreSQL
(``database = "postgresql://..."``, through asyncpg) is for users who outgrow one machine.
Every module under ``monitor/store/`` is a set of functions over the ``Db`` protocol
(``store/db.py``) that ``Store.db`` and ``Store.transaction()`` give; the pure stages never
see it. A backend is one module: ``sqlite.py``, ``postgres.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from monitor.errors import StoreError
from monitor.store.base import Store
from monitor.store.db import Db, Row
from monitor.store.location import is_postgres, sqlite_path
from monitor.store.lock import DatabaseInUse

if TYPE_CHECKING:
    from monitor.store.postgres import PgStore

__all__ = ["DatabaseInUse", "Db", "Row", "Store", "open_readonly", "open_store"]


async def open_store(location: Path | str) -> Store:
    """Open (creating and migrating it) the database ``location`` names: a path or
    ``sqlite:PATH`` for SQLite, ``postgresql://...`` for PostgreSQL. On SQLite this process
    becomes its only writer (``DatabaseInUse`` if another holds it)."""
    if is_postgres(location):
        return await _postgres().connect(str(location))
    from monitor.store.sqlite import SqliteStore

    return await SqliteStore.open_path(sqlite_path(location))


async def open_readonly(location: Path | str) -> Store:
    """Open an existing database to read it beside its writer: no lock, no migration, and
    no new file (a mistyped path is "no database at PATH", not a new empty store)."""
    if is_postgres(location):
        return await _postgres().connect(str(location), readonly=True)
    from monitor.store.sqlite import SqliteStore

    return await SqliteStore.open_path_readonly(sqlite_path(location))


def _postgres() -> type[PgStore]:
    """The PostgreSQL backend, imported where it is used: its driver is an extra."""
    try:
        from monitor.store.postgres import PgStore
    except ImportError as exc:
        raise StoreError(
            f"a postgresql:// database needs the PostgreSQL driver ({exc.name} is missing):"
            " pip install 'monitor[postgresql]'"
        ) from None
    return PgStore
