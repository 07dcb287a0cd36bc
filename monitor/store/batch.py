"""Queries over many ids at once: one trip to the database thread for a whole poll.

Each statement awaited is a trip to the database (aiosqlite's thread, or PostgreSQL's
server) and back; a poll asks about a few dozen stories, so asking once per story would cost
more than the SQL itself.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from monitor.store.db import Db, Row

# SQLite's default limit on host parameters is 32766; stay well below it per statement.
CHUNK = 500


def in_lists(values: Sequence[Any], chunk: int = CHUNK) -> Iterator[tuple[str, list[Any]]]:
    """``(marks, params)`` for ``... IN (marks)`` over ``values``, ``chunk`` at a time.

    Each list is padded with NULLs to a power of two (NULL is never IN-equal to anything),
    so that a handful of statement texts serve every size: sqlite3 keeps compiled statements
    by their text, and compiling a new one costs more than running it.
    """
    for start in range(0, len(values), chunk):
        part = list(values[start : start + chunk])
        size = 1 << (len(part) - 1).bit_length()
        part += [None] * (size - len(part))
        yield ",".join("?" * size), part


def columns(rows: Sequence[Sequence[Any]], width: int) -> list[list[Any]]:
    """Rows as ``width`` column lists (empty ones for no rows): PostgreSQL's arrays, which
    ``unnest`` turns back into rows in one statement."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * width


@dataclass(frozen=True, slots=True)
class Rows:
    """``INSERT INTO table (columns) <rows> [tail]`` for many rows in one statement, whatever
    their number: PostgreSQL takes each column as an array (``unnest``), SQLite the rows as
    one JSON array (``json_each``). One trip and one statement text for any batch, where
    ``execute_many`` runs the statement once per row (and PostgreSQL plans each of them).

    ``columns`` ("name type, ...", in PostgreSQL's types) take a value per row: str, int or
    None (SQLite reads JSON numbers with its own parser, which need not give back the exact
    float sent). ``shared`` columns take one value for every row (a time, a float), bound as
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
        sql = _statement(self, db.dialect)
        # The shared values come first in the statement's text, so first among its parameters.
        params: list[Any] = list(shared)
        if db.dialect == "postgresql":
            params += columns(rows, len(_pairs(self.columns)))
        else:
            params.append(json.dumps(rows, ensure_ascii=False))
        if "RETURNING" in self.tail:
            return await db.fetch_all(sql, params)
        await db.execute(sql, params)
        return []


@functools.lru_cache(maxsize=64)
def _statement(rows: Rows, dialect: str) -> str:
    columns, shared = _pairs(rows.columns), _pairs(rows.shared)
    names = ", ".join(name for name, _ in columns + shared)
    if dialect == "postgresql":
        arrays = ", ".join(f"?::{kind}[]" for _, kind in columns)
        values = ", ".join(["u.*", *(f"?::{kind}" for _, kind in shared)])
        source = f"SELECT {values} FROM unnest({arrays}) AS u"
    else:
        values = ", ".join([*(f"value ->> {n}" for n in range(len(columns))), *"?" * len(shared)])
        # WHERE true: without it SQLite would read ON CONFLICT as a join's ON.
        source = f"SELECT {values} FROM json_each(?) WHERE true"
    return f"INSERT INTO {rows.table} ({names}) {source} {rows.tail}".rstrip()


def _pairs(columns: str) -> list[tuple[str, str]]:
    """``"a text, b bigint"`` -> ``[("a", "text"), ("b", "bigint")]``."""
    return [
        (name, kind)
        for name, _, kind in (c.strip().partition(" ") for c in columns.split(",") if c.strip())
    ]
