"""``Db`` over SQLite: ``SqliteDb`` on the event loop (each call a trip to aiosqlite's thread),
``ThreadDb`` on that thread, for the store's code run whole there (``SqliteDb.together``).

Each statement awaited through aiosqlite is a trip: a future, a queue put, a switch to the
database thread and a wake-up of the event loop, for each statement. The store's functions
are written once, as coroutines over ``Db``; given ``ThreadDb``, whose methods call sqlite3
directly and never suspend, such a coroutine runs to its end in one ``send`` (``run_sync``),
on the database thread, and the loop waits for it once.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable
from typing import Any, TypeVar

import aiosqlite

from monitor.store.db import NUMBERED, Db, Params, Row, check_numbered

T = TypeVar("T")


def run_sync(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that awaits only ``ThreadDb`` to its end, here and now."""
    try:
        work.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    work.close()
    raise RuntimeError("store: work run on the database thread awaited something else")


class ThreadDb:
    """``Db`` over the sqlite3 connection itself, for code running on its thread."""

    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection, next_id: dict[str, int]) -> None:
        self.conn = conn
        self._next_id = next_id  # the connection's ``SqliteDb`` numbering, shared

    async def execute(self, sql: str, params: Params = ()) -> int:
        return int(self.conn.execute(sql, params).rowcount)

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        self.conn.executemany(sql, rows)

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return self.conn.execute(sql, params).fetchall()

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = self.conn.execute(sql, params).fetchone()
        return row

    async def fetch_val(self, sql: str, params: Params = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def stream(self, sql: str, params: Params = (), *, size: int) -> AsyncIterator[list[Row]]:
        raise RuntimeError("store: a stream is read from the event loop, not inside together()")

    async def reserve_ids(self, table: str, count: int) -> list[int]:
        return reserve(self._next_id, table, count, self.conn)

    async def give_back(self, table: str, ids: Iterable[int]) -> None:
        give_back(self._next_id, table, ids)

    async def script(self, sql: str) -> None:
        run_script(self.conn, sql)

    async def execute_later(self, sql: str, params: Params = ()) -> None:
        self.conn.execute(sql, params)

    async def together(self, work: Callable[[Db], Awaitable[T]]) -> T:
        return await work(self)


def reserve(
    next_id: dict[str, int], table: str, count: int, conn: sqlite3.Connection | None
) -> list[int]:
    """``count`` ids of ``table`` from ``next_id``; ``conn`` reads the highest id where it
    is not known yet (on the event loop it is None: ``LookupError`` is raised, and
    ``SqliteDb.reserve_ids`` asks again on the database thread with the connection).

    Inside a write transaction (BEGIN IMMEDIATE), and this process is the file's only
    writer (WriterLock): once the highest id is read, the next ones are known without a
    trip per poll. A rollback forgets them (``SqliteDb.forget_ids``): its rows are gone.
    """
    check_numbered(table)
    first = next_id.get(table)
    if first is None:
        if conn is None:
            raise LookupError(table)
        first = int(conn.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()[0]) + 1
    next_id[table] = first + count
    return list(range(first, first + count))


def give_back(next_id: dict[str, int], table: str, ids: Iterable[int]) -> None:
    unused = sorted(ids)
    # Only the last ids handed out, all of them: what a reservation left at its end.
    if (
        unused
        and unused[-1] + 1 == next_id.get(table)
        and len(unused) == (unused[-1] - unused[0] + 1)
    ):
        next_id[table] = unused[0]


def run_script(conn: sqlite3.Connection, sql: str) -> None:
    # Statement by statement: ``executescript`` would COMMIT the migration's transaction.
    statement = ""
    for line in sql.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement in a migration: {statement.strip()[:60]}")


class BeginRefused(Exception):
    """BEGIN IMMEDIATE, sent with a transaction's first trip, failed (``error``)."""

    def __init__(self, error: sqlite3.Error) -> None:
        super().__init__(str(error))
        self.error = error


class SqliteDb:
    """``Db`` over one aiosqlite connection: each call is one trip to its thread, and
    ``together`` runs a whole piece of the store's work there in one.

    A transaction's ``SqliteDb`` (``begin``) sends its BEGIN IMMEDIATE with its first trip
    and its ``execute_later`` writes with the next one (COMMIT at the latest): a trip costs
    the event loop more than most statements cost the database.
    """

    dialect = "sqlite"

    def __init__(
        self, raw: aiosqlite.Connection, *, next_id: dict[str, int] | None = None,
        begin: bool = False,
    ) -> None:  # fmt: skip
        self.raw = raw  # for what only SQLite has (PRAGMAs), inside this module and tests
        # per table, the next id ``reserve_ids`` gives: one for the connection, shared by
        # its transactions
        self._next_id: dict[str, int] = {} if next_id is None else next_id
        self._transaction = begin
        self._begin = begin  # BEGIN IMMEDIATE not sent yet
        self._later: list[tuple[str, Params]] = []
        self.sent = False  # a trip reached the database

    async def _trip(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        self.sent = True
        begin, later = self._begin, self._later
        self._begin, self._later = False, []
        raw = self.raw

        def run() -> T:
            conn = raw._conn  # on the connection's thread, as aiosqlite's own calls
            if begin:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                except sqlite3.Error as exc:
                    raise BeginRefused(exc) from None
            for sql, params in later:
                conn.execute(sql, params)
            return fn(conn)

        # aiosqlite's one entry that runs a function of ours on its thread.
        result: T = await raw._execute(run)  # type: ignore[no-untyped-call]
        return result

    @property
    def begun(self) -> bool:
        """A transaction's BEGIN has been sent (with a trip already made)."""
        return self._transaction and not self._begin

    async def execute(self, sql: str, params: Params = ()) -> int:
        return await self._trip(lambda conn: int(conn.execute(sql, params).rowcount))

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        await self._trip(lambda conn: conn.executemany(sql, rows))

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]:
        return await self._trip(lambda conn: conn.execute(sql, params).fetchall())

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None:
        return await self._trip(lambda conn: conn.execute(sql, params).fetchone())

    async def fetch_val(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def stream(self, sql: str, params: Params = (), *, size: int) -> AsyncIterator[list[Row]]:
        if self._begin or self._later:
            await self._trip(lambda conn: None)  # the transaction's own statements first
        async with self.raw.execute(sql, params) as cur:
            # The next rows are read (in the database's thread) while these are used.
            batch = asyncio.ensure_future(cur.fetchmany(size))
            try:
                while rows := await batch:
                    batch = asyncio.ensure_future(cur.fetchmany(size))
                    yield list(rows)
            finally:
                if not batch.done():
                    batch.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await batch

    async def reserve_ids(self, table: str, count: int) -> list[int]:
        try:
            return reserve(self._next_id, table, count, None)
        except LookupError:
            return await self._trip(lambda conn: reserve(self._next_id, table, count, conn))

    async def give_back(self, table: str, ids: Iterable[int]) -> None:
        give_back(self._next_id, table, ids)

    async def read_ids(self) -> None:
        """The highest id of each numbered table, read now (a writer, once open): the first
        poll's ``reserve_ids`` then takes no trip of its own."""

        def highest(conn: sqlite3.Connection) -> None:
            for table in sorted(NUMBERED):
                reserve(self._next_id, table, 0, conn)

        await self._trip(highest)

    def forget_ids(self) -> None:
        """The transaction that used the ids handed out was rolled back: read them again."""
        self._next_id.clear()

    async def script(self, sql: str) -> None:
        await self._trip(lambda conn: run_script(conn, sql))

    async def execute_later(self, sql: str, params: Params = ()) -> None:
        if self._transaction:
            self._later.append((sql, params))
        else:
            await self.execute(sql, params)

    async def together(self, work: Callable[[Db], Awaitable[T]]) -> T:
        def run(conn: sqlite3.Connection) -> T:
            return run_sync(_coroutine(work, ThreadDb(conn, self._next_id)))

        return await self._trip(run)

    async def commit(self) -> None:
        """The transaction's writes still waiting, then COMMIT, in one trip; nothing when it
        sent nothing."""
        if self._begin and not self._later:
            self._begin = False
            return
        await self._trip(lambda conn: conn.execute("COMMIT"))


async def _coroutine(work: Callable[[Db], Awaitable[T]], db: Db) -> T:
    return await work(db)
