"""One feed's refresh, from fetch to new items (and on to stories, rules and the outbox).

``refresh_feed`` is the one function that runs the pipeline for a feed; ``_process`` reads
top to bottom as its stages: fetch -> (unchanged? stop) -> parse and normalize (in a parse
thread) -> store the new items -> stories, events, rule matches and alerts (``Stages.process``)
-> the feed's state, all in one transaction so that a crash leaves either the whole poll or
none of it -> wake the outbox.
"""

from __future__ import annotations

import hashlib
import logging
import operator
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from monitor.config import Config, FeedConfig
from monitor.errors import FetchError, MonitorError, ParseError
from monitor.fetch import Fetcher, FetchResult
from monitor.metrics import Metrics
from monitor.models import ParsedFeed, StoredItem
from monitor.newitems import ProcessItems, insert_new, run_stages, set_aside_older
from monitor.outbox import Deliverer
from monitor.parsethread import ParseThreads, parse_off_loop
from monitor.redact import redact
from monitor.schedule import WEEK, Publishing, Timing, adaptive_interval, next_check
from monitor.stages import Stages
from monitor.store import Store
from monitor.store import feeds as feed_store
from monitor.store import items as item_store
from monitor.store.db import Db
from monitor.store.feeds import FeedState, StateWrites

log = logging.getLogger("monitor.pipeline")


# Told of each body parsed, with its response headers and address (WebSub discovery).
OnParsed = Callable[[FeedConfig, Mapping[str, str], ParsedFeed, str], None]


@dataclass(slots=True)
class PollOutcome:
    """What one poll of one feed did, for logs, progress and metrics."""

    url: str
    result: str  # new | unchanged | not_modified | error
    new_items: int = 0
    items: int = 0
    error: str | None = None
    next_check: float = 0.0
    elapsed: float = 0.0
    fetch_seconds: float | None = None


@dataclass(slots=True)
class Runtime:
    """Everything a poll needs; the daemon and ``monitor once`` each build one."""

    config: Config
    store: Store
    fetcher: Fetcher
    stages: Stages  # stories, events, rules and the alerts they queue
    deliverer: Deliverer  # the outbox's workers, woken when a poll committed new alerts
    states: dict[str, FeedState] = field(default_factory=dict)
    clock: Callable[[], float] = time.time
    metrics: Metrics | None = None
    # Polls that stored nothing write their state in batches; None: each in its own transaction.
    state_writes: StateWrites | None = None
    # Each feed's publishing rate, for the adaptive schedule: from its last parsed body, or
    # from the store on its first poll in this process.
    # None: the feed dates none of its items, so its interval stays fixed.
    publishing: dict[str, Publishing | None] = field(default_factory=dict)
    parse_threads: ParseThreads = field(default_factory=ParseThreads)
    on_parsed: OnParsed | None = None
    # Several nodes: stories and alerts are the elected assigner's (monitor/cluster); a poll
    # only queues its new items for it, in its transaction. None: this process assigns.
    assign: ProcessItems | None = None

    def timing(self, feed: FeedConfig) -> Timing:
        m = self.config.monitor
        interval = feed.interval or m.interval
        pub = self.publishing.get(feed.url)
        if m.schedule == "adaptive" and feed.interval is None and pub is not None:
            interval = adaptive_interval(pub, self.clock(), low=m.min_interval, high=m.max_interval)
        return Timing(
            interval=interval,
            min_interval=min(m.min_interval, interval),
            max_backoff=max(m.max_backoff, interval),
            jitter=m.jitter,
        )


def feed_name(feed: FeedConfig, state: FeedState) -> str:
    """The name the user sees: the configured one, else the feed's own title, else its URL."""
    return feed.name or state.title or feed.url


async def refresh_feed(rt: Runtime, feed: FeedConfig) -> PollOutcome:
    """Poll one feed once; never raises for a feed's own failure (it is recorded instead)."""
    state = rt.states[feed.url]
    started = time.monotonic()
    now = rt.clock()
    outcome = PollOutcome(url=feed.url, result="error")
    # Validators and the body hash may only stick once the body is processed and committed:
    # otherwise the next poll would get a 304 (or "unchanged") and its items would be lost.
    before = _processed(state)
    try:
        if rt.config.monitor.schedule == "adaptive" and feed.url not in rt.publishing:
            rt.publishing[feed.url] = await item_store.publishing_since(
                rt.store.db, state.id, now - WEEK
            )
        result = await rt.fetcher.fetch(
            state.effective_url, etag=state.etag, last_modified=state.last_modified
        )
        outcome = await _process(rt, feed, state, result, now)
        outcome.fetch_seconds = result.elapsed
    except (FetchError, ParseError) as exc:
        _restore(state, before)
        outcome.error = str(exc)
        retry_after = exc.retry_after if isinstance(exc, FetchError) else None
        status = exc.status if isinstance(exc, FetchError) else None
        await _record_error(rt, feed, state, outcome.error, status, retry_after, now)
    except MonitorError as exc:  # the store failed: the feed is fine, try it again later
        _restore(state, before)
        rt.stages.invalidate()  # the story window may name stories the rollback undid
        outcome.error = str(exc)
        log.error("poll failed: %s", exc, extra={"feed": feed.url})
        state.next_check = next_check(rt.timing(feed), now, rt.clock(), error_streak=1)
    except Exception as exc:
        # A bug of ours, or of a library, on this feed's data: record it against the feed and
        # keep polling it (with backoff) rather than lose the feed's schedule.
        _restore(state, before)
        rt.stages.invalidate()  # the story window may name stories the rollback undid
        log.exception("unexpected error while polling", extra={"feed": feed.url})
        outcome.error = f"internal error ({exc.__class__.__name__}: {exc}); see the log"
        await _record_error(rt, feed, state, outcome.error, None, None, now)
    outcome.next_check = state.next_check or now
    outcome.elapsed = time.monotonic() - started
    if rt.metrics is not None:
        _observe(rt.metrics, feed, state, outcome)
    return outcome


_PROCESSED = ("fetch_url", "title", "etag", "last_modified", "body_hash", "last_new_item",
              "items_total", "last_cut", "last_cut_at")  # fmt: skip


_processed = operator.attrgetter(*_PROCESSED)  # the values of _PROCESSED, as a tuple


def _restore(state: FeedState, before: tuple[object, ...]) -> None:
    """Undo what a failed poll changed in memory (the store rolled back already)."""
    for name, value in zip(_PROCESSED, before, strict=True):
        setattr(state, name, value)


def _observe(m: Metrics, feed: FeedConfig, state: FeedState, outcome: PollOutcome) -> None:
    m.fetches.labels(outcome.result).inc()
    m.items.inc(outcome.items)
    m.new_items.inc(outcome.new_items)
    m.pipeline_seconds.observe(outcome.elapsed)
    if outcome.fetch_seconds is not None:
        m.fetch_seconds.observe(outcome.fetch_seconds)
    if state.last_success:
        # Whoever scrapes /metrics (and Prometheus's storage) must not get a feed's key.
        m.last_success.labels(redact(feed.url)).set(state.last_success)


async def _process(
    rt: Runtime, feed: FeedConfig, state: FeedState, result: FetchResult, now: float
) -> PollOutcome:
    outcome = PollOutcome(url=feed.url, result="not_modified")
    if result.permanent_url and result.permanent_url != state.fetch_url:
        log.info(
            "moved permanently to %s; following it from now on",
            result.permanent_url,
            extra={"feed": feed.url},
        )
        state.fetch_url = result.permanent_url
    state.etag, state.last_modified = result.etag, result.last_modified
    ttl: float | None = None
    if result.body is not None:
        digest = hashlib.sha256(result.body).hexdigest()
        if digest == state.body_hash:
            outcome.result = "unchanged"  # validators ignored, same bytes: nothing to parse
        else:
            limit = rt.config.monitor.max_new_items
            parsed, order, pub = await parse_off_loop(
                rt.parse_threads,
                result.body,
                result.headers,
                url=result.final_url,
                now=datetime.fromtimestamp(now, UTC),
                limit=limit,
            )
            if parsed.warning:
                log.debug("%s", parsed.warning, extra={"feed": feed.url})
            if rt.on_parsed is not None:
                rt.on_parsed(feed, result.headers, parsed, result.final_url)
            ttl = parsed.ttl_seconds
            rt.publishing[feed.url] = pub
            if parsed.title:
                state.title = parsed.title
            state.body_hash = digest
            outcome.items = len(parsed.entries)
            outcome.result = "new"
            entries, cut = parsed.entries, 0
            if order is not None:  # more entries than may be new: maybe some to set aside
                entries, cut = await set_aside_older(rt.store, state.id, entries, order, limit)
            async with rt.store.transaction() as db:
                inserted = await insert_new(db, state.id, entries)
                stored = [
                    StoredItem(
                        id=item_id,
                        feed_id=state.id,
                        feed_name=feed_name(feed, state),
                        feed_tags=tuple(feed.tags),
                        item=item,
                        feed_url=feed.url,
                    )
                    for item_id, item in inserted
                ]
                if stored:
                    await run_stages(rt.assign or rt.stages.process, db, stored, now)
                outcome.new_items = len(stored) + cut
                if stored:
                    state.last_new_item = now
                    state.items_total += outcome.new_items
                if cut:
                    state.last_cut, state.last_cut_at = cut, now
                _record_success(rt, feed, state, result, ttl, now)
                await _save_state(rt, db, state)
            if stored:
                log.info(
                    "%d new item%s", len(stored), "s" * (len(stored) != 1), extra={"feed": feed.url}
                )
            if cut:
                log.warning(
                    "%d more new items than [monitor] max_new_items: kept the newest %d for"
                    " stories and alerts; the %d older ones are stored as seen, without them",
                    cut, len(stored), cut, extra={"feed": feed.url},
                )  # fmt: skip
            if stored:
                rt.deliverer.wake()  # the alerts this poll queued are committed: send them
            return outcome
    _record_success(rt, feed, state, result, ttl, now)
    if rt.state_writes is not None:
        rt.state_writes.add(state)
    else:
        async with rt.store.transaction() as db:
            await feed_store.save_state(db, state)
    return outcome


async def _save_state(rt: Runtime, db: Db, state: FeedState) -> None:
    """Save the whole state inside the caller's transaction; it supersedes a waiting snapshot."""
    if rt.state_writes is not None:
        rt.state_writes.discard(state.id)
    await feed_store.save_state(db, state)


def _record_success(
    rt: Runtime,
    feed: FeedConfig,
    state: FeedState,
    result: FetchResult,
    ttl: float | None,
    now: float,
) -> None:
    if state.error_streak:
        log.info(
            "recovered after %d failed poll%s",
            state.error_streak,
            "s" * (state.error_streak != 1),
            extra={"feed": feed.url},
        )
    state.last_status = result.status
    state.last_checked = now
    state.last_success = now
    state.error_streak = 0
    state.failing_since = None
    state.next_check = next_check(rt.timing(feed), now, rt.clock(), ttl=ttl, max_age=result.max_age)


async def _record_error(
    rt: Runtime,
    feed: FeedConfig,
    state: FeedState,
    message: str,
    status: int | None,
    retry_after: float | None,
    now: float,
) -> None:
    state.last_status = status
    state.last_checked = now
    state.last_error = message
    state.last_error_at = now
    state.error_streak += 1
    state.failing_since = state.failing_since or now
    state.next_check = next_check(
        rt.timing(feed), now, rt.clock(), error_streak=state.error_streak, retry_after=retry_after
    )
    log.warning(
        "%s (failed %d time%s in a row)",
        message,
        state.error_streak,
        "s" * (state.error_streak != 1),
        extra={"feed": feed.url},
    )
    try:
        async with rt.store.transaction() as db:
            await _save_state(rt, db, state)
    except MonitorError as exc:
        log.error("cannot record the feed's health: %s", exc, extra={"feed": feed.url})


async def ingest_pushed(
    rt: Runtime, feed: FeedConfig, body: bytes, headers: Mapping[str, str]
) -> PollOutcome:
    """A body that arrived without a fetch (a WebSub push): the same parse, store, stories,
    rules and outbox as a polled one, in one transaction. Raises ``ParseError`` for a body
    that is not a feed and ``MonitorError`` when the store fails (nothing of it is kept);
    the poll's validators stay as they were, the next poll's conditional GET still holds."""
    state = rt.states[feed.url]
    started = time.monotonic()
    before = _processed(state)
    pushed = FetchResult(
        status=200, body=body, headers=dict(headers), final_url=state.effective_url,
        permanent_url=None, etag=state.etag, last_modified=state.last_modified,
        max_age=None, elapsed=0.0,
    )  # fmt: skip
    try:
        outcome = await _process(rt, feed, state, pushed, rt.clock())
    except BaseException as exc:
        _restore(state, before)
        if not isinstance(exc, ParseError):
            rt.stages.invalidate()  # the story window may name stories the rollback undid
        raise
    outcome.elapsed = time.monotonic() - started
    if rt.metrics is not None:
        rt.metrics.items.inc(outcome.items)
        rt.metrics.new_items.inc(outcome.new_items)
    return outcome
