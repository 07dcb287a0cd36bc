"""Feeds in the store: their validators (ETag, Last-Modified, body hash) and their health."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import operator
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from monitor.errors import MonitorError
from monitor.redact import register_feed, register_keys
from monitor.store.batch import columns, in_lists
from monitor.store.db import Db, Row

if TYPE_CHECKING:
    from monitor.store import Store

log = logging.getLogger("monitor.store")


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
    last_cut: int = 0  # new items the last poll that cut stored without stories ([monitor]
    last_cut_at: float | None = None  # max_new_items), and when
    last_old: int = 0  # new items the last poll that had some stored as seen, published more
    last_old_at: float | None = None  # than [monitor] max_age before it, and when
    # The XML problem of the body whose hash is body_hash, when it may have lost items (a
    # 304 or the same bytes keep it), and since when the feed's bodies have had one: apart
    # from error_streak, which counts failed fetches (and sets the backoff) only.
    malformed: str | None = None
    malformed_since: float | None = None
    # Every item of the last body read whole (no WebSub push) was listed since this
    # (``items.last_listed``): retention keeps those (``store.expiry``). None: unknown, or
    # the feed left the config; its items then go by retention alone.
    listed_since: float | None = None
    # The site its channel link last named (``sites.site_of_feed``): its own items' outlet
    # until a link names another; a body whose link names none (a tracking query, <link/>)
    # keeps it, as its items are the same outlet's.
    site: str | None = None

    @property
    def effective_url(self) -> str:
        """Where to fetch it: the configured URL, or where a permanent redirect moved it."""
        return self.fetch_url or self.url


_FIELDS = [f.name for f in dataclasses.fields(FeedState)]
_MUTABLE = [f for f in _FIELDS if f not in ("id", "url")]


def _row_to_state(row: Row) -> FeedState:
    """A feed's state as read from the store; the keys of the URL a permanent redirect moved
    it to are masked from now on as the configured URL's are, whoever followed the redirect
    (this node at an earlier start, or another node a moment ago: its log lines would show
    the key until the next start otherwise). Its number names it in a log line where its URL
    shows masked (``redact.logged_feed``)."""
    state = FeedState(**{name: row[name] for name in _FIELDS})
    register_feed(state.url, state.id)
    if state.fetch_url:
        register_keys(state.fetch_url)
    return state


async def sync_feeds(db: Db, urls: Iterable[str]) -> dict[str, FeedState]:
    """Make sure every configured feed has a row; return the state of each, by URL.

    Feeds that left the config keep their rows (and items) until retention prunes them: what
    their last body listed is no longer kept for it (``listed_since`` cleared).
    """
    wanted = list(dict.fromkeys(urls))
    now = time.time()
    await db.execute_many(
        "INSERT INTO feeds (url, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
        [(u, now) for u in wanted],
    )
    states = await all_feeds(db)
    configured = set(wanted)
    await _forget_listed(db, states, configured)
    return {s.url: s for s in states if s.url in configured}


async def forget_listed(db: Db, urls: Iterable[str]) -> None:
    """What the last bodies of feeds not in ``urls`` (the config) listed is no longer kept
    for them: ``sync_feeds`` clears it at a start or a reload, and retention's pass again,
    since a poll in flight at the reload wrote it back (review18f)."""
    await _forget_listed(db, await all_feeds(db), set(urls))


async def _forget_listed(db: Db, states: Iterable[FeedState], configured: set[str]) -> None:
    gone = [s.id for s in states if s.url not in configured and s.listed_since is not None]
    for marks, params in in_lists(gone):
        await db.execute(f"UPDATE feeds SET listed_since = NULL WHERE id IN ({marks})", params)


async def all_feeds(db: Db) -> list[FeedState]:
    rows = await db.fetch_all(f"SELECT {', '.join(_FIELDS)} FROM feeds ORDER BY id")
    return [_row_to_state(row) for row in rows]


async def register_moved(db: Db) -> None:
    """Register the keys of every URL a feed moved to (``redact.register_keys``), as a read of
    its state does: for what renders that URL, or an article's link echoing its key, without
    reading the feed's state (a cluster's sender, whose alert may be of an item another node
    polled there a moment ago; ``monitor stories``). One query: few feeds have moved."""
    rows = await db.fetch_all("SELECT fetch_url FROM feeds WHERE fetch_url IS NOT NULL")
    for row in rows:
        register_keys(str(row[0]))


async def load_state(db: Db, url: str) -> FeedState | None:
    """One feed's state as the store has it now (several nodes: another may have polled it)."""
    row = await db.fetch_one(f"SELECT {', '.join(_FIELDS)} FROM feeds WHERE url = ?", (url,))
    return _row_to_state(row) if row is not None else None


_UPDATE = f"UPDATE feeds SET {', '.join(f'{name} = ?' for name in _MUTABLE)} WHERE id = ?"


# What a poll that stored nothing changes: all but what the health check remembers it said
# (health.py saves that) and what only a parsed body changes (a parse saves the whole state;
# a removed feed's ``listed_since``, cleared by ``sync_feeds``, is not written back).
_POLLED = [f for f in _MUTABLE if f not in ("health_alerted", "listed_since")]
_UPDATE_POLLED = f"UPDATE feeds SET {', '.join(f'{name} = ?' for name in _POLLED)} WHERE id = ?"


def _pg_type(name: str) -> str:
    kind = str(FeedState.__dataclass_fields__[name].type)
    return "text" if "str" in kind else "float8" if "float" in kind else "bigint"


# PostgreSQL: many feeds' states in one statement (execute_many would run one UPDATE per feed).
_UPDATE_POLLED_PG = (
    f"UPDATE feeds f SET {', '.join(f'{name} = u.{name}' for name in _POLLED)}"
    f" FROM unnest({', '.join(f'?::{_pg_type(name)}[]' for name in _POLLED)}, ?::bigint[])"
    f" AS u({', '.join(_POLLED)}, id) WHERE f.id = u.id"
)


async def save_polled(db: Db, rows: list[tuple[Any, ...]]) -> None:
    """Write the polled fields of many feeds (rows of ``_row(state, _POLLED_VALUES)``)."""
    if db.dialect == "postgresql":
        await db.execute(_UPDATE_POLLED_PG, columns(rows, len(_POLLED) + 1))
    else:
        await db.execute_many(_UPDATE_POLLED, rows)


_MUTABLE_VALUES = operator.attrgetter(*_MUTABLE)
_POLLED_VALUES = operator.attrgetter(*_POLLED)


def _row(state: FeedState, values: operator.attrgetter[Any] = _MUTABLE_VALUES) -> tuple[Any, ...]:
    return (*values(state), state.id)


async def save_state(db: Db, state: FeedState) -> None:
    """Write every mutable field of ``state`` back (with the transaction's next trip: its
    COMMIT, where it is a poll's last write)."""
    await db.execute_later(_UPDATE, _row(state))


class StateWrites:
    """The states of polls that stored nothing (304, same bytes), written many per transaction.

    Such a poll changes only health and validators, which the next poll would record again,
    so a crash before the write loses nothing a re-poll does not recover; one transaction
    per feed would cost more than the poll itself. A snapshot is taken when the poll ends
    (later in-memory changes of a poll in flight are not the store's yet) and written within
    ``delay`` seconds, or as soon as ``batch`` feeds wait, and on ``close``. A feed whose
    state is saved in full meanwhile (``discard``) drops its older snapshot. A batch the
    store refused is tried again at a backoff (up to ``MAX_RETRY``), and its failure logged
    once until one is written; not at all with ``quiet`` (the daemon's ``StoreOutage`` says it).
    """

    MAX_RETRY = 30.0  # seconds between tries of a refused batch, at most

    def __init__(self, store: Store, *, batch: int = 200, delay: float = 0.5) -> None:
        self.store = store
        self.batch = batch
        self.delay = delay
        self._pending: dict[int, tuple[Any, ...]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._flushing: asyncio.Task[None] | None = None
        self.quiet = False
        self._retry = delay  # until the next try: ``delay``, doubled while the store refuses

    def add(self, state: FeedState) -> None:
        self._pending[state.id] = _row(state, _POLLED_VALUES)
        if len(self._pending) >= self.batch:
            self._flush_soon()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.delay, self._flush_soon)

    def discard(self, feed_id: int) -> None:
        """The feed's state is being saved in full (inside a transaction): forget the snapshot."""
        self._pending.pop(feed_id, None)

    def _flush_soon(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().create_task(self._flush_logged())

    async def _flush_logged(self) -> None:
        try:
            await self.flush()
            self._retry = self.delay
        except MonitorError as exc:
            # Only health and validators: the next poll of each feed records them again.
            if not self.quiet and self._retry == self.delay:  # the first of a run of failures
                log.error("cannot record the feeds' health: %s", exc)
            self._retry = min(self._retry * 2.0, max(self.MAX_RETRY, self.delay))
        if self._pending and self._timer is None:
            # More came while writing (or the write failed): try again shortly.
            self._timer = asyncio.get_running_loop().call_later(self._retry, self._flush_soon)

    async def flush(self) -> None:
        """Write every waiting snapshot now, in one transaction."""
        if not self._pending:
            return
        taken: dict[int, tuple[Any, ...]] = {}
        try:
            async with self.store.transaction() as db:
                # Taken under the write lock: a full save that went first has discarded its feed.
                taken, self._pending = self._pending, {}
                if taken:
                    await save_polled(db, list(taken.values()))
        except BaseException:
            for feed_id, row in taken.items():  # not written: wait again, unless superseded
                self._pending.setdefault(feed_id, row)
            raise

    async def close(self) -> None:
        """Finish the write in progress and write what waits (before the store closes)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._flushing is not None:
            await asyncio.wait([self._flushing])
        try:
            await self.flush()
        except MonitorError as exc:
            log.error("cannot record the feeds' health: %s", exc)
