"""The connection protocol every store module speaks, whatever the database behind it.

The repository modules (``feeds``, ``items``, ``stories``...) keep their SQL, written in the
subset SQLite and PostgreSQL share: ``?`` placeholders (or ``?N``), ``ON CONFLICT``,
``RETURNING``, ``GREATEST``. Each backend implements ``Db`` once (``sqlite.py``, ``postgres.py``)
and translates what its dialect spells differently in one place (``Dialect.translate``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Row(Protocol):
    """A result row: by position or by column name, and unpackable."""

    def __getitem__(self, key: int | str, /) -> Any: ...
    def __len__(self) -> int: ...
    def __iter__(self) -> Any: ...


Params = Sequence[Any]


class Db(Protocol):
    """What a store module needs of a database connection."""

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql"."""
        ...

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; the number of rows it changed."""
        ...

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for each of ``rows`` (one round trip where the driver allows)."""
        ...

    async def fetch_all(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetch_one(self, sql: str, params: Params = ()) -> Row | None: ...

    async def fetch_val(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None when there is no row."""
        ...

    def stream(self, sql: str, params: Params = (), *, size: int) -> AsyncIterator[list[Row]]:
        """The rows of a large query, ``size`` at a time (a rebuild of a million items)."""
        ...

    async def reserve_ids(self, table: str, count: int) -> list[int]:
        """``count`` unused ids of ``table`` for rows about to be inserted with them."""
        ...

    async def give_back(self, table: str, ids: Iterable[int]) -> None:
        """Ids of ``reserve_ids`` the transaction did not use: the next reservation may hand
        them out again (no trip), so that a poll whose items all joined older stories leaves
        no gap in the numbering."""
        ...

    async def script(self, sql: str) -> None:
        """Several statements (a migration's DDL), inside the current transaction."""
        ...

    async def execute_later(self, sql: str, params: Params = ()) -> None:
        """A write whose outcome the caller does not need: inside a transaction on SQLite it
        goes to the database with the transaction's next trip (its COMMIT at the latest),
        not on a trip of its own; elsewhere it runs now."""
        ...

    async def together(self, work: Callable[[Db], Awaitable[T]]) -> T:
        """``work(db)``: all its statements, and the Python between them, in one trip to the
        database where the backend can (SQLite: run whole on the connection's thread, so the
        event loop waits once, not once per statement; PostgreSQL: as awaited, each statement
        its own trip to the server). ``work`` awaits nothing but the ``Db`` it is given."""
        ...


# Tables whose ids ``reserve_ids`` hands out: names cannot be bound, only these are used.
NUMBERED = frozenset({"stories", "events", "items"})


def check_numbered(table: str) -> None:
    if table not in NUMBERED:
        raise ValueError(f"store: no ids are reserved for table {table!r}")
