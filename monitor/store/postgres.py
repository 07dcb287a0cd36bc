"""The PostgreSQL backend: asyncpg, a small pool of connections, migrations under an advisory
lock. One node writes one transaction at a time, as on SQLite; several nodes coordinate
through leases (monitor/cluster), not here.

asyncpg rather than psycopg 3: measured on this machine over one server, a 1,000-item insert
transaction cost about a quarter of psycopg's client CPU, and a one-statement transaction
less CPU per round trip (the commit that brought it has the figures).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import asyncpg

from monitor.errors import StoreError
from monitor.store.base import Store
from monitor.store.db import Db
from monitor.store.location import shown_url
from monitor.store.migrate import migrate, pending
from monitor.store.pgdb import ERRORS, IdBlocks, PgConnDb, PgPoolDb, reason, translate

__all__ = ["ERRORS", "IdBlocks", "PgConnDb", "PgPoolDb", "PgStore", "reason", "translate"]

# pg_advisory_lock key of "monitor migrations": every node of every version agrees on it.
MIGRATION_LOCK = 0x6D6F6E69746F72
POOL_SIZE = 8  # the outbox workers' reads, status, the cluster's; more only waits
# The write transactions' connection keeps one plan per statement: a poll's batched writes
# (INSERT/UPDATE ... FROM unnest(arrays)) would otherwise be planned again at every run, as
# a plan for the arrays' actual length always looks cheaper than a generic one, and that
# planning costs the server more than running them. Its statements find rows by key: a
# generic plan made while a table is small would scan the table whole at every poll, so
# scans are the last resort there. Reads keep the main pool and plans made for their values.
WRITER_SETTINGS = {"plan_cache_mode": "force_generic_plan", "enable_seqscan": "off"}


class PgStore(Store):
    """One PostgreSQL database, through a pool of connections."""

    def __init__(self, pool: Any, name: str, *, readonly: bool = False, writer: Any = None) -> None:
        self.ids = IdBlocks()
        super().__init__(PgPoolDb(pool, name, self.ids), name, readonly=readonly)
        self.pool = pool
        self.writer = pool if writer is None else writer  # transactions: one at a time

    @classmethod
    async def connect(cls, url: str, *, readonly: bool = False) -> PgStore:
        """Connect, and (unless ``readonly``) migrate under the advisory lock: nodes started
        at once wait for the first, then find its work done."""
        name = shown_url(url)
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=POOL_SIZE)
        except (*ERRORS, ValueError) as exc:
            raise StoreError(f"cannot open the database {name}: {reason(exc)}") from None
        writer = None
        if not readonly:
            try:
                writer = await asyncpg.create_pool(
                    url, min_size=1, max_size=1, server_settings=WRITER_SETTINGS, reset=_reset
                )
            except (*ERRORS, ValueError) as exc:
                await _close_pool(pool)
                raise StoreError(f"cannot open the database {name}: {reason(exc)}") from None
        store = cls(pool, name, readonly=readonly, writer=writer)
        try:
            if readonly:
                missing = await pending(store.db)
                if missing:
                    raise StoreError(
                        f"the database {name} predates this version of monitor (or is empty);"
                        " `monitor once` or `monitor run` brings it up to date"
                    )
            else:
                await store._migrate()
        except ERRORS as exc:
            await store._close()
            raise StoreError(f"cannot use the database {name}: {reason(exc)}") from None
        except BaseException:
            await store._close()
            raise
        return store

    async def _migrate(self) -> None:
        async with self.pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            try:
                db = PgConnDb(conn)

                @asynccontextmanager
                async def begin() -> AsyncIterator[Db]:
                    async with conn.transaction():
                        yield db

                await migrate(db, begin)
            finally:
                with suppress(*ERRORS):
                    await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Db]:
        try:
            conn = await self.writer.acquire()
        except ERRORS as exc:
            raise self._write_failed(f"cannot start a transaction: {reason(exc)}", exc) from None
        try:
            tx = conn.transaction()
            try:
                await tx.start()
            except ERRORS as exc:
                raise self._write_failed(
                    f"cannot start a transaction: {reason(exc)}", exc
                ) from None
            try:
                yield PgConnDb(conn, self.ids)
            except ERRORS as exc:
                await _rollback(tx)
                raise self._write_failed(
                    f"the database refused a write: {reason(exc)}", exc
                ) from None
            except BaseException:
                await _rollback(tx)
                raise
            try:
                await tx.commit()
            except ERRORS as exc:
                await _rollback(tx)
                raise self._write_failed(f"cannot commit: {reason(exc)}", exc) from None
        finally:
            with suppress(*ERRORS):
                await self.writer.release(conn)

    def _write_failed(self, message: str, exc: BaseException) -> StoreError:
        # A constraint refused is a bug on one poll's data; anything else (the server gone,
        # read-only, disk full) means the write path itself fails, and health must say so.
        if not isinstance(exc, asyncpg.IntegrityConstraintViolationError):
            self._write_failure = message
        return StoreError(message)

    async def _close(self) -> None:
        if self.writer is not self.pool:
            await _close_pool(self.writer)
        await _close_pool(self.pool)


async def _reset(conn: Any) -> None:
    """The writer's connection back in its pool: as it is (every transaction ended in a
    COMMIT or ROLLBACK, it holds no lock, cursor or setting to undo), which spares a trip per
    poll; reset in full only if a transaction was left open."""
    if conn.is_in_transaction():
        await conn.reset()


async def _close_pool(pool: Any) -> None:
    try:
        async with asyncio.timeout(10):
            await pool.close()
    except ERRORS:
        pool.terminate()


async def _rollback(tx: Any) -> None:
    with suppress(*ERRORS):
        await tx.rollback()
