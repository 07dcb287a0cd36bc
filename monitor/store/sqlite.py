"""The SQLite backend: aiosqlite, WAL, one writer process (a file lock), one write transaction
at a time. The default: a file beside the config, nothing to install or run."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import aiosqlite

from monitor.errors import StoreError
from monitor.store.base import Store
from monitor.store.db import Db
from monitor.store.lock import WriterLock
from monitor.store.migrate import migrate, pending
from monitor.store.sqlitedb import BeginRefused, SqliteDb

# How long a statement waits for another program's lock before it fails ("database is
# locked"): SQLite's busy_timeout, milliseconds (a module attribute: the tests of a lock held
# past it wait less).
BUSY_TIMEOUT_MS = 5000
# Prepared statements the daemon's connection keeps (sqlite3's cache, least recently used
# first out; Python's default is 128). A statement that lists its rows or ids in place is
# another statement for each count of them, and each kept one holds its compiled program in
# SQLite's memory: 128 of them were most of what SQLite held at a first cycle's peak. The
# statements of one poll fit in this many; one pushed out is compiled again when next used.
CACHED_STATEMENTS = 32

__all__ = ["SqliteDb", "SqliteStore", "migrate_connection"]


async def migrate_connection(raw: aiosqlite.Connection) -> list[str]:
    """Apply the migrations not yet recorded, each in BEGIN IMMEDIATE (the write lock first,
    so a second process migrating at the same moment waits, then finds the work done)."""
    db = SqliteDb(raw)

    @asynccontextmanager
    async def immediate() -> AsyncIterator[Db]:
        await raw.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            with suppress(sqlite3.Error):  # a failed statement may have ended it already
                await raw.execute("ROLLBACK")
            raise
        await raw.execute("COMMIT")

    return await migrate(db, immediate)


def _create_private(path: Path) -> None:
    """Create the file if missing, readable by its owner only: it holds what the user tracks
    and where alerts go."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


class SqliteStore(Store):
    """One open SQLite database file."""

    def __init__(
        self,
        raw: aiosqlite.Connection,
        path: Path,
        *,
        lock: WriterLock | None = None,
        readonly: bool = False,
    ) -> None:
        self.db: SqliteDb = SqliteDb(raw)
        super().__init__(self.db, str(path), readonly=readonly)
        self.raw = raw
        self.path = path
        self._lock = lock
        # The file as it was when opened: a file deleted or replaced under a running daemon
        # still takes its writes (SQLite writes to what it opened), which a restart then loses.
        self._identity = _identity(path)

    @classmethod
    async def open_path(cls, path: Path) -> SqliteStore:
        try:
            # Only the last level, as systemd's StateDirectory makes /var/lib/monitor: a typo
            # higher up would otherwise start an empty store and alert on everything again.
            path.parent.mkdir(exist_ok=True)
        except FileNotFoundError:
            raise StoreError(
                f"cannot open the database {path}: the folder {path.parent.parent} does not"
                " exist (a typo in [monitor] database?)"
            ) from None
        except OSError as exc:
            raise StoreError(f"cannot open the database {path}: {exc}") from None
        lock = WriterLock.acquire(path)
        try:
            return await cls._open_locked(path, lock)
        except BaseException:
            lock.release()
            raise

    @classmethod
    async def _open_locked(cls, path: Path, lock: WriterLock) -> SqliteStore:
        try:
            _create_private(path)
            raw = await aiosqlite.connect(
                path, isolation_level=None, cached_statements=CACHED_STATEMENTS
            )
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the database {path}: {exc}") from None
        raw.row_factory = aiosqlite.Row
        try:
            await raw.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable across application crashes in WAL mode; only an OS crash can
            # lose the last transactions, never corrupt the file.
            await raw.execute("PRAGMA synchronous=NORMAL")
            # A checkpoint copies each page the WAL holds into the file once, however often
            # the WAL holds it: every 10,000 pages (40 MB of WAL) rather than SQLite's 1,000,
            # the pages each poll writes again (its stories, events and alerts, the tables'
            # and indexes' last pages) are copied a tenth as often. Safety is the WAL's, as
            # before: a checkpoint only moves committed pages into the file.
            await raw.execute("PRAGMA wal_autocheckpoint=10000")
            await raw.execute("PRAGMA foreign_keys=ON")
            await raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            # The daemon's one connection: a page it drops is read again from the OS's page
            # cache, not the disk, and 512 kB (SQLite's default is 2 MB) cost the writer no CPU
            # measured (bench/ingest.py's database thread) while cutting the peak of a first
            # cycle of 1,000 feeds by 1.5 MB (bench/memory.py).
            await raw.execute("PRAGMA cache_size=-512")
            store = cls(raw, path, lock=lock)
            await migrate_connection(raw)
            await store.db.read_ids()
        except sqlite3.Error as exc:
            await raw.close()
            raise StoreError(f"cannot use the database {path}: {exc}") from None
        except BaseException:
            await raw.close()
            raise
        return store

    @classmethod
    async def open_path_readonly(cls, path: Path) -> SqliteStore:
        if not await asyncio.to_thread(path.is_file):
            raise StoreError(f"no database at {path}")
        uri = f"{(await asyncio.to_thread(path.resolve)).as_uri()}?mode=ro"
        try:
            raw = await aiosqlite.connect(uri, uri=True)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the database {path}: {exc}") from None
        raw.row_factory = aiosqlite.Row
        store = cls(raw, path, readonly=True)
        try:
            await raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            missing = await pending(store.db)
        except sqlite3.Error as exc:
            await raw.close()
            raise StoreError(f"cannot read the database {path}: {exc}") from None
        except BaseException:
            await raw.close()
            raise
        if missing:
            await raw.close()
            raise StoreError(
                f"the database {path} predates this version of monitor; `monitor once` or"
                " `monitor run` brings it up to date"
            )
        return store

    async def _close(self) -> None:
        try:
            # A connection that already failed (or was closed) has nothing left to close.
            if not self.readonly:
                with suppress(sqlite3.Error, ValueError):
                    await self.raw.execute("PRAGMA optimize")
            with suppress(sqlite3.Error, ValueError):
                await self.raw.close()
        finally:
            if self._lock is not None:
                self._lock.release()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Db]:
        # BEGIN IMMEDIATE goes with the transaction's first statement (one trip less).
        tx = SqliteDb(self.raw, next_id=self.db._next_id, begin=True)
        try:
            yield tx
        except BeginRefused as exc:
            raise self._write_failed(f"cannot start a transaction: {exc}", exc.error) from None
        except sqlite3.Error as exc:
            await self._rollback(tx)
            raise self._write_failed(f"the database refused a write: {exc}", exc) from None
        except BaseException:
            await self._rollback(tx)
            raise
        try:
            await tx.commit()
        except BeginRefused as exc:
            raise self._write_failed(f"cannot start a transaction: {exc}", exc.error) from None
        except sqlite3.Error as exc:
            await self._rollback(tx)
            raise self._write_failed(f"cannot commit: {exc}", exc) from None

    def _wrote(self, db: Db) -> bool:
        return not isinstance(db, SqliteDb) or db.sent

    def _write_failed(self, message: str, exc: sqlite3.Error) -> StoreError:
        # A constraint refused is a bug on one poll's data; anything else (locked, read-only,
        # I/O error, disk full) means the write path itself fails, and health must say so.
        if not isinstance(exc, sqlite3.IntegrityError):
            self._write_failure = message
        return StoreError(message)

    def problem(self) -> str | None:
        now = _identity(self.path)
        if now is None:
            return f"the database file {self.path} was deleted while open; writes are being lost"
        if self._identity is not None and now != self._identity:
            return f"the database file {self.path} was replaced while open; writes go elsewhere"
        return super().problem()

    async def _rollback(self, tx: SqliteDb) -> None:
        # A failed statement may already have ended the transaction; that is fine.
        self.db.forget_ids()
        if tx.begun:
            with suppress(sqlite3.Error):
                await self.raw.execute("ROLLBACK")

    async def integrity_ok(self) -> bool:
        """``PRAGMA integrity_check`` answers "ok"."""
        row = await self.db.fetch_one("PRAGMA integrity_check")
        return row is not None and row[0] == "ok"


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file the path names now; None when there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino
