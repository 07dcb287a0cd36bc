"""What every backend's open store offers the rest of the program."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from monitor.store.db import Db


class Store:
    """One open database. Reads through ``db``; writes through ``transaction()``, one at a
    time in this process. ``monitor.store.open_store`` opens the backend the setting names."""

    def __init__(self, db: Db, name: str, *, readonly: bool = False) -> None:
        self.db = db
        self.name = name  # what messages call it: a path, or a URL without its password
        self.readonly = readonly
        self._write_lock = asyncio.Lock()
        self._write_failure: str | None = None  # why the last write failed; None once one works

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Db]:
        """A write transaction: committed on success, rolled back on any exception."""
        async with self._write_lock, self._transaction() as db:
            yield db
        if self._wrote(db):  # an empty transaction proves nothing about the write path
            self._write_failure = None

    def _wrote(self, db: Db) -> bool:
        """The transaction just committed reached the database."""
        return True

    def _transaction(self) -> AbstractAsyncContextManager[Db]:
        raise NotImplementedError

    async def close(self) -> None:
        """Wait for the write in progress, then close."""
        async with self._write_lock:
            await self._close()

    async def _close(self) -> None:
        raise NotImplementedError

    @property
    def write_failure(self) -> str | None:
        """Why the last write failed (a full disk, a lock held elsewhere), or None once one
        works: the write path itself, not a constraint refused on one poll's data."""
        return self._write_failure

    def problem(self) -> str | None:
        """Why the store cannot keep what it is given (its last write failed), or None."""
        if self._write_failure is not None:
            return f"writes to the database fail: {self._write_failure}"
        return None

    async def integrity_ok(self) -> bool:
        """The database says its data is sound."""
        return True

    @classmethod
    async def open(cls, location: Path | str) -> Store:
        """``monitor.store.open_store``."""
        from monitor.store import open_store

        return await open_store(location)

    @classmethod
    async def open_readonly(cls, location: Path | str) -> Store:
        """``monitor.store.open_readonly``."""
        from monitor.store import open_readonly

        return await open_readonly(location)
