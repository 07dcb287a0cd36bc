"""store: SQLite through aiosqlite (WAL, named migrations, one writer process, one write
transaction at a time).

The store is an edge of the pipeline: every module under ``monitor/store/`` is a set of
functions over an open ``Store``; the pure stages never see it.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import aiosqlite

from monitor.errors import StoreError
from monitor.store.lock import DatabaseInUse, WriterLock
from monitor.store.migrations import migrate, pending

__all__ = ["DatabaseInUse", "Store"]


def _create_private(path: Path) -> None:
    """Create the file if missing, readable by its owner only: it holds what the user tracks
    and where alerts go."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


class Store:
    """One open database. Writes go through ``transaction()``, one at a time."""

    def __init__(
        self,
        db: aiosqlite.Connection,
        path: Path,
        *,
        lock: WriterLock | None = None,
        readonly: bool = False,
    ) -> None:
        self.db = db
        self.path = path
        self.readonly = readonly
        self._lock = lock
        self._write_lock = asyncio.Lock()
        # The file as it was when opened: a file deleted or replaced under a running daemon
        # still takes its writes (SQLite writes to what it opened), which a restart then loses.
        self._identity = _identity(path)
        self._write_failure: str | None = None  # why the last write failed; None once one works

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        """Open (creating it, private to its owner) and migrate the database at ``path``, as
        its only writer: ``DatabaseInUse`` if another process holds it."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot open the database {path}: {exc}") from None
        lock = WriterLock.acquire(path)
        try:
            return await cls._open_locked(path, lock)
        except BaseException:
            lock.release()
            raise

    @classmethod
    async def _open_locked(cls, path: Path, lock: WriterLock) -> Store:
        try:
            _create_private(path)
            db = await aiosqlite.connect(path, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the database {path}: {exc}") from None
        db.row_factory = aiosqlite.Row
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable across application crashes in WAL mode; only an OS crash can
            # lose the last transactions, never corrupt the file.
            await db.execute("PRAGMA synchronous=NORMAL")
            await db.execute("PRAGMA foreign_keys=ON")
            await db.execute("PRAGMA busy_timeout=5000")
            store = cls(db, path, lock=lock)
            await migrate(store.db)
        except sqlite3.Error as exc:
            await db.close()
            raise StoreError(f"cannot use the database {path}: {exc}") from None
        except BaseException:
            await db.close()
            raise
        return store

    @classmethod
    async def open_readonly(cls, path: Path | str) -> Store:
        """Open an existing database to read it beside its writer: no lock, no migration, and
        no new file (a mistyped path is "no database at PATH", not a new empty store)."""
        path = Path(path)
        if not path.is_file():
            raise StoreError(f"no database at {path}")
        try:
            db = await aiosqlite.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the database {path}: {exc}") from None
        db.row_factory = aiosqlite.Row
        try:
            await db.execute("PRAGMA busy_timeout=5000")
            missing = await pending(db)
        except sqlite3.Error as exc:
            await db.close()
            raise StoreError(f"cannot read the database {path}: {exc}") from None
        if missing:
            await db.close()
            raise StoreError(
                f"the database {path} predates this version of monitor; `monitor once` or"
                " `monitor run` brings it up to date"
            )
        return cls(db, path, readonly=True)

    async def close(self) -> None:
        """Wait for the write in progress, then close (and give up the writer's lock)."""
        async with self._write_lock:
            try:
                # A connection that already failed (or was closed) has nothing left to close.
                if not self.readonly:
                    with suppress(sqlite3.Error, ValueError):
                        await self.db.execute("PRAGMA optimize")
                with suppress(sqlite3.Error, ValueError):
                    await self.db.close()
            finally:
                if self._lock is not None:
                    self._lock.release()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction: committed on success, rolled back on any exception."""
        async with self._write_lock:
            try:
                await self.db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._write_failed(f"cannot start a transaction: {exc}", exc) from None
            try:
                yield self.db
            except sqlite3.Error as exc:
                await self._rollback()
                raise self._write_failed(f"the database refused a write: {exc}", exc) from None
            except BaseException:
                await self._rollback()
                raise
            try:
                await self.db.execute("COMMIT")
            except sqlite3.Error as exc:
                await self._rollback()
                raise self._write_failed(f"cannot commit: {exc}", exc) from None
            self._write_failure = None

    def _write_failed(self, message: str, exc: sqlite3.Error) -> StoreError:
        # A constraint refused is a bug on one poll's data; anything else (locked, read-only,
        # I/O error, disk full) means the write path itself fails, and health must say so.
        if not isinstance(exc, sqlite3.IntegrityError):
            self._write_failure = message
        return StoreError(message)

    def problem(self) -> str | None:
        """Why the store cannot keep what it is given, or None: the file is gone or replaced
        since it was opened, or the last write failed."""
        now = _identity(self.path)
        if now is None:
            return f"the database file {self.path} was deleted while open; writes are being lost"
        if self._identity is not None and now != self._identity:
            return f"the database file {self.path} was replaced while open; writes go elsewhere"
        if self._write_failure is not None:
            return f"writes to the database fail: {self._write_failure}"
        return None

    async def _rollback(self) -> None:
        # A failed statement may already have ended the transaction; that is fine.
        with suppress(sqlite3.Error):
            await self.db.execute("ROLLBACK")

    async def integrity_ok(self) -> bool:
        """``PRAGMA integrity_check`` answers "ok"."""
        async with self.db.execute("PRAGMA integrity_check") as cur:
            row = await cur.fetchone()
        return row is not None and row[0] == "ok"


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file the path names now; None when there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino
