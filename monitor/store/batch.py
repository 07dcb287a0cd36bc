"""Queries over many ids at once: one trip to the database thread for a whole poll.

Each statement awaited is a trip to the database (aiosqlite's thread, or PostgreSQL's
server) and back; a poll asks about a few dozen stories, so asking once per story would cost
more than the SQL itself.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.store.db import Db, Row

# SQLite's default limit on host parameters is 32766; stay well below it per statement.
CHUNK = 500
# The shortest list of more than one id: the lists of two to eight ids are one statement
# text with it. A poll's statements are more texts than the connection keeps compiled
# (``sqlite.CACHED_STATEMENTS``), and every size of a list was one more of them. A list of
# one stays one: SQLite reads ``IN (?)`` as ``= ?``, and a daemon's polls mostly bring one
# item.
FEWEST = 8


def in_lists(values: Sequence[Any], chunk: int = CHUNK) -> Iterator[tuple[str, list[Any]]]:
    """``(marks, params)`` for ``... IN (marks)`` over ``values``, ``chunk`` at a time.

    Each list is padded to a power of two, ``FEWEST`` at least (one value stays one), with
    copies of its last value (an IN list is a set: a copy changes nothing), so that a
    handful of statement texts serve every size: sqlite3 keeps compiled statements by their
    text, and compiling a new one costs more than running it. Copies rather than NULLs: in
    the short lists of a poll, SQLite spent more on the NULLs than on the ids, and spends
    next to nothing on a copy.
    """
    for start in range(0, len(values), chunk):
        part = list(values[start : start + chunk])
        yield padded(part, padded_size(len(part)))


def padded_size(count: int) -> int:
    """How long ``in_lists`` makes a list of ``count`` values (``count`` > 0)."""
    size = 1 << (count - 1).bit_length()
    return max(FEWEST, size) if size > 1 else size


def padded(part: list[Any], size: int) -> tuple[str, list[Any]]:
    """``(marks, params)`` of ``part`` padded to ``size`` with copies of its last value."""
    part += part[-1:] * (size - len(part))
    return ",".join("?" * size), part


def columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """Rows as ``width`` column lists (empty ones for no rows): PostgreSQL's arrays, which
    ``unnest`` turns back into rows in one statement."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * width


@dataclass(frozen=True, slots=True)
class Rows:
    """``INSERT INTO table (columns) <rows> [tail]`` for many rows in one statement:
    PostgreSQL takes each column as an array (``unnest``: one statement text for any batch),
    SQLite up to ``ROWS`` rows of ``VALUES`` at a time, padded to a multiple of ``STEP``
    rows with copies of the last one where the tail ignores conflicts (a copy is a no-op), so
    that a few statement texts serve every size; ``execute_many`` would run the statement once
    per row (and PostgreSQL plan each of them). SQLite's ``json_each`` would take any batch in
    one text too, but it parses a row's JSON once per column it reads: more than twice the
    CPU per row of bound values.

    ``columns`` ("name type, ...", in PostgreSQL's types) take a value per row: str, int or
    None. ``shared`` columns take one value for every row (a time, a float), bound as
    it is. ``tail`` follows the rows (``ON CONFLICT ... RETURNING ...``).
    """

    table: str
    columns: str
    shared: str = ""
    tail: str = ""

    async def insert(
        self, db: Db, rows: Sequence[Sequence[Any]], shared: Sequence[Any] = ()
    ) -> list[Row]:
        """Insert ``rows``; what ``RETURNING`` in the tail gives (else [])."""
        if not rows:
            return []
        if db.dialect == "postgresql":
            # The shared values come first in the statement's text, so first among its
            # parameters.
            params = [*shared, *columns(rows, len(_pairs(self.columns)))]
            return await self._run(db, _unnest(self), params)
        out: list[Row] = []
        pad = "DO NOTHING" in self.tail
        for start in range(0, len(rows), ROWS):
            part = list(rows[start : start + ROWS])
            size = min(ROWS, -(-len(part) // STEP) * STEP) if pad else len(part)
            part += part[-1:] * (size - len(part))
            out += await self._run(db, _values(self, size), _flat(part, tuple(shared)))
        return out

    async def insert_counted(
        self, db: Db, rows: Sequence[Sequence[Any]], shared: Sequence[Any] = ()
    ) -> list[tuple[list[Sequence[Any]], int]]:
        """SQLite: ``rows`` inserted as ``insert`` does, without a ``RETURNING`` tail; each
        part (one statement's rows) with how many of its rows were stored, and nothing
        between the statements, so that a part's rows are the last ids of the table."""
        out: list[tuple[list[Sequence[Any]], int]] = []
        pad = "DO NOTHING" in self.tail
        for start in range(0, len(rows), ROWS):
            part = list(rows[start : start + ROWS])
            size = min(ROWS, -(-len(part) // STEP) * STEP) if pad else len(part)
            params = _flat(part + part[-1:] * (size - len(part)), tuple(shared))
            out.append((part, await db.execute(_values(self, size), params)))
        return out

    async def _run(self, db: Db, sql: str, params: list[Any]) -> list[Row]:
        if "RETURNING" in self.tail:
            return await db.fetch_all(sql, params)
        await db.execute(sql, params)
        return []


def _flat(rows: Sequence[Sequence[Any]], shared: tuple[Any, ...]) -> list[Any]:
    """Each row's values, then the shared ones, one list: extended a row at a time (in C),
    not a value at a time."""
    params: list[Any] = []
    extend = params.extend
    for row in rows:
        extend(row)
        if shared:
            extend(shared)
    return params


ROWS = 128  # rows per statement on SQLite: about a thousand parameters, far below its limit
STEP = 16


@functools.lru_cache(maxsize=64)
def _values(rows: Rows, size: int) -> str:
    """SQLite: ``size`` rows of bound values, each row's own then the shared ones."""
    names = [name for name, _ in _pairs(rows.columns) + _pairs(rows.shared)]
    row = "(" + ", ".join("?" * len(names)) + ")"
    marks = ", ".join([row] * size)
    return f"INSERT INTO {rows.table} ({', '.join(names)}) VALUES {marks} {rows.tail}".rstrip()


@functools.lru_cache(maxsize=64)
def _unnest(rows: Rows) -> str:
    """PostgreSQL: every row as column arrays."""
    columns, shared = _pairs(rows.columns), _pairs(rows.shared)
    names = ", ".join(name for name, _ in columns + shared)
    arrays = ", ".join(f"?::{kind}[]" for _, kind in columns)
    values = ", ".join(["u.*", *(f"?::{kind}" for _, kind in shared)])
    source = f"SELECT {values} FROM unnest({arrays}) AS u"
    return f"INSERT INTO {rows.table} ({names}) {source} {rows.tail}".rstrip()


def _pairs(columns: str) -> list[tuple[str, str]]:
    """``"a text, b bigint"`` -> ``[("a", "text"), ("b", "bigint")]``."""
    return [
        (name, kind)
        for name, _, kind in (c.strip().partition(" ") for c in columns.split(",") if c.strip())
    ]
