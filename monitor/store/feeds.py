"""Feeds in the store: their validators (ETag, Last-Modified, body hash) and their health."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable
from dataclasses import dataclass

import aiosqlite


@dataclass(slots=True)
class FeedState:
    """What the store keeps of one feed between polls and across restarts."""

    id: int
    url: str
    fetch_url: str | None = None
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    last_status: int | None = None
    last_checked: float | None = None
    last_success: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    error_streak: int = 0
    failing_since: float | None = None
    next_check: float | None = None
    last_new_item: float | None = None
    items_total: int = 0
    health_alerted: int = 0

    @property
    def effective_url(self) -> str:
        """Where to fetch it: the configured URL, or where a permanent redirect moved it."""
        return self.fetch_url or self.url


_FIELDS = [f.name for f in dataclasses.fields(FeedState)]
_MUTABLE = [f for f in _FIELDS if f not in ("id", "url")]


def _row_to_state(row: aiosqlite.Row) -> FeedState:
    return FeedState(**{name: row[name] for name in _FIELDS})


async def sync_feeds(db: aiosqlite.Connection, urls: Iterable[str]) -> dict[str, FeedState]:
    """Make sure every configured feed has a row; return the state of each, by URL.

    Feeds that left the config keep their rows (and items) until retention prunes them.
    """
    wanted = list(dict.fromkeys(urls))
    now = time.time()
    await db.executemany(
        "INSERT OR IGNORE INTO feeds (url, created_at) VALUES (?, ?)", [(u, now) for u in wanted]
    )
    states = await all_feeds(db)
    return {s.url: s for s in states if s.url in set(wanted)}


async def all_feeds(db: aiosqlite.Connection) -> list[FeedState]:
    async with db.execute(f"SELECT {', '.join(_FIELDS)} FROM feeds ORDER BY id") as cur:
        return [_row_to_state(row) for row in await cur.fetchall()]


async def save_state(db: aiosqlite.Connection, state: FeedState) -> None:
    """Write every mutable field of ``state`` back."""
    assignments = ", ".join(f"{name} = ?" for name in _MUTABLE)
    values = [getattr(state, name) for name in _MUTABLE]
    await db.execute(f"UPDATE feeds SET {assignments} WHERE id = ?", (*values, state.id))
