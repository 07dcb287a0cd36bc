"""Queries over many ids at once: one trip to the database thread for a whole poll.

Each statement awaited is a trip to the database (aiosqlite's thread, or PostgreSQL's
server) and back; a poll asks about a few dozen stories, so asking once per story would cost
more than the SQL itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

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
