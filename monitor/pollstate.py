"""What a poll leaves on its feed's state: success or failure, the error streak, the next
check; saved with the poll (or batched when the poll stored nothing), and undone in memory
when the poll's transaction rolled back."""

from __future__ import annotations

import logging
import operator

from monitor.config import FeedConfig
from monitor.errors import MonitorError
from monitor.fetch import FetchResult
from monitor.runtime import Runtime
from monitor.schedule import Timing, next_check
from monitor.store import feeds as feed_store
from monitor.store.db import Db
from monitor.store.feeds import FeedState

log = logging.getLogger("monitor.pipeline")

# What processing a body changes: it may only stick once the body is processed and committed,
# otherwise the next poll would get a 304 (or "unchanged") and the body's items would be lost.
# last_success too: a first poll rolled back is still the feed's first (review19b: its retry
# took the undated items at their first sight, ``events.when``).
_PROCESSED = ("fetch_url", "title", "etag", "last_modified", "body_hash", "last_new_item",
              "items_total", "last_cut", "last_cut_at", "last_old", "last_old_at", "malformed",
              "malformed_since", "listed_since", "last_success", "site")  # fmt: skip

snapshot = operator.attrgetter(*_PROCESSED)  # the values of _PROCESSED, as a tuple


def restore(state: FeedState, before: tuple[object, ...]) -> None:
    """Undo what a failed poll changed in memory (the store rolled back already)."""
    for name, value in zip(_PROCESSED, before, strict=True):
        setattr(state, name, value)


async def save(rt: Runtime, db: Db, state: FeedState) -> None:
    """Save the whole state inside the caller's transaction; it supersedes a waiting snapshot."""
    if rt.state_writes is not None:
        rt.state_writes.discard(state.id)
    await feed_store.save_state(db, state)


async def save_alone(rt: Runtime, state: FeedState) -> None:
    """Save the state of a poll that stored nothing: batched with others' when the daemon
    batches them, else in a transaction of its own."""
    if rt.state_writes is not None:
        rt.state_writes.add(state)
        return
    async with rt.store.transaction() as db:
        await feed_store.save_state(db, state)


def record_success(
    rt: Runtime, feed: FeedConfig, state: FeedState, result: FetchResult, ttl: float | None,
    now: float, *, answered: float | None = None,
) -> None:  # fmt: skip
    """A poll that fetched the feed: its failed fetches are over (a body's XML problem is
    ``record_body``'s, and stays with the body). ``answered``: when the feed's host answered
    (``now`` if not given): the feed was last checked then, and its next check counts from it."""
    if state.error_streak:
        log.info(
            "recovered after %d failed poll%s",
            state.error_streak,
            "s" * (state.error_streak != 1),
            extra={"feed": feed.url},
        )
    checked = now if answered is None else answered
    state.last_status = result.status
    state.last_checked = checked
    state.last_success = now
    state.error_streak = 0
    state.failing_since = None
    state.next_check = next_check(
        rt.timing(feed), checked, rt.clock(), ttl=ttl, max_age=result.max_age
    )


def record_body(feed: FeedConfig, state: FeedState, problem: str | None, now: float) -> None:
    """What a new body's XML says of the feed: ``problem`` (``ParsedFeed.malformed``) when it
    may have lost items. Kept with the body (a 304 or the same bytes leave it), apart from
    the failed fetches: it changes no schedule; ``feedhealth`` tells of it after
    ``health_after`` as of a feed that fails."""
    if problem is None:
        if state.malformed is not None:
            log.info("the feed's XML is whole again", extra={"feed": feed.url})
        state.malformed = state.malformed_since = None
        return
    state.malformed = problem
    # A feed failing to fetch before its broken body has been a problem since then.
    state.malformed_since = state.malformed_since or state.failing_since or now
    log.warning("%s (the items it could read are kept)", problem, extra={"feed": feed.url})


async def record_error(
    rt: Runtime,
    feed: FeedConfig,
    state: FeedState,
    message: str,
    status: int | None,
    retry_after: float | None,
    now: float,
    *,
    answered: float | None = None,
) -> None:
    """Count the failure against the feed, back off, and save it (a store that fails too is
    logged: the feed's schedule in memory goes on). ``answered``: when the poll's request
    was answered; None if it failed before any answer (or none came), when the back-off
    counts from the failure, now."""
    ended = rt.clock()
    checked = ended if answered is None else answered
    state.last_status = status
    state.last_checked = checked
    state.last_error = message
    state.last_error_at = now
    state.error_streak += 1
    state.failing_since = state.failing_since or now
    state.next_check = next_check(
        rt.timing(feed), checked, ended, error_streak=state.error_streak,
        retry_after=retry_after,
    )  # fmt: skip
    log.warning(
        "%s (failed %d time%s in a row)",
        message,
        state.error_streak,
        "s" * (state.error_streak != 1),
        extra={"feed": feed.url},
    )
    try:
        async with rt.store.transaction() as db:
            await save(rt, db, state)
    except MonitorError as exc:
        log.error("cannot record the feed's health: %s", exc, extra={"feed": feed.url})


def due_under(state: FeedState, timing: Timing) -> float | None:
    """When a feed is due under ``timing`` (the config's now, at start or after a reload):
    its stored next check, but no later than its last check plus the interval (with the
    jitter's most), so that a shorter interval is not kept waiting for a check made from
    a longer one. None when it has no next check (never polled).

    A feed whose last poll failed keeps its next check: the back-off is the failure's and a
    server's Retry-After (only a failure carries one) is a promise. The store does not say
    whether a good poll's next check came from the interval or from the feed's ttl or the
    response's max-age: with a shorter interval than those, the feed is polled once at the
    interval, and its next poll reads them again.
    """
    stored = state.next_check
    if stored is None or state.error_streak or state.last_checked is None:
        return stored
    return min(stored, state.last_checked + timing.interval * (1 + timing.jitter))
