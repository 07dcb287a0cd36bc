"""One feed's refresh: fetch -> parse -> normalize -> store new items -> stories and events
-> rules -> alerts, written in one transaction -> wake the outbox.

``refresh_feed`` polls a feed and records how the poll went; ``ingest`` is the path of one
fetched (or pushed) body, and reads top to bottom as the stages. What a poll needs is in
``runtime.Runtime``; what it leaves on the feed's state is ``pollstate``'s.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from monitor import pollstate
from monitor.config import FeedConfig
from monitor.configtypes import format_duration
from monitor.errors import FetchError, MonitorError, ParseError
from monitor.events import when
from monitor.fetch import FetchResult
from monitor.models import Item, ParsedFeed, StoredItem
from monitor.newitems import insert_new, listed_since, news_only, run_stages, set_aside_older
from monitor.parse.known import KnownItems, Recall
from monitor.parsethread import parse_off_loop
from monitor.redact import register_keys
from monitor.runtime import Runtime, feed_name
from monitor.schedule import WEEK, Publishing, next_check
from monitor.sites import site_of_feed
from monitor.store import items as item_store
from monitor.store.db import Db
from monitor.store.feeds import FeedState
from monitor.store.outlets import name_site

if TYPE_CHECKING:
    from monitor.metrics import Metrics  # prometheus_client: only when metrics are served

__all__ = ["PollOutcome", "Runtime", "feed_name", "ingest", "ingest_pushed", "refresh_feed"]

log = logging.getLogger("monitor.pipeline")


@dataclass(slots=True)
class PollOutcome:
    """What one poll of one feed did, for logs, progress and metrics."""

    url: str
    result: str  # new | unchanged | not_modified | error
    new_items: int = 0
    old: int = 0  # of new_items: published more than max_age ago, stored as seen
    alerts: int = 0  # queued by the rules it matched
    items: int = 0
    error: str | None = None
    next_check: float = 0.0
    elapsed: float = 0.0
    fetch_seconds: float | None = None


async def refresh_feed(rt: Runtime, feed: FeedConfig) -> PollOutcome:
    """Poll one feed once; never raises for a feed's own failure (it is recorded instead)."""
    state = rt.states[feed.url]
    started = time.monotonic()
    now = rt.clock()
    outcome = PollOutcome(url=feed.url, result="error")
    before = pollstate.snapshot(state)
    # The next poll counts from the answer, not from this poll's start: its request may wait
    # long for its host's fetch slot ([fetch] per_host) and leave late, and only an answer
    # says it reached the host. So two requests reach a feed's host an interval apart at least
    # (less its jitter).
    answered: float | None = None
    try:
        if rt.config.monitor.schedule == "adaptive" and feed.url not in rt.publishing:
            rt.publishing[feed.url] = await item_store.publishing_since(
                rt.store.db, state.id, now - WEEK
            )
        # No conditional GET: a body comes. Fetched once there is room among those waiting
        # to be parsed, rather than held in memory in a long queue.
        gate = (
            rt.unparsed.fetch(rt.config.fetch.bodies_in_flight, rt.config.fetch.concurrency)
            if state.etag is None and state.last_modified is None
            else nullcontext()
        )
        async with gate:
            # Handed to ingest, not kept here: ingest lets the body go once it is parsed.
            fetched = [
                await rt.fetcher.fetch(
                    state.effective_url, etag=state.etag, last_modified=state.last_modified
                )
            ]
        answered = rt.clock()
        elapsed = fetched[0].elapsed
        outcome = await ingest(rt, feed, state, fetched.pop(), now, answered=answered)
        outcome.fetch_seconds = elapsed
    except (FetchError, ParseError) as exc:
        pollstate.restore(state, before)
        outcome.error = str(exc)
        retry_after = exc.retry_after if isinstance(exc, FetchError) else None
        status = exc.status if isinstance(exc, FetchError) else None
        await pollstate.record_error(
            rt, feed, state, outcome.error, status, retry_after, now, answered=answered
        )
    except MonitorError as exc:  # the store failed: the feed is fine, try it again later
        pollstate.restore(state, before)
        _forget_after_failure(rt)
        outcome.error = str(exc)
        if rt.outage is None or rt.store.write_failure is None:
            log.error("poll failed: %s", exc, extra={"feed": feed.url})
        else:  # the write path fails: the daemon says it once (``StoreOutage``), not per poll
            log.debug("poll failed: %s", exc, extra={"feed": feed.url})
        ended = rt.clock()
        state.next_check = next_check(
            rt.timing(feed), ended if answered is None else answered, ended, error_streak=1
        )
    except Exception as exc:
        # A bug of ours, or of a library, on this feed's data: record it against the feed and
        # keep polling it (with backoff) rather than lose the feed's schedule.
        pollstate.restore(state, before)
        _forget_after_failure(rt)
        log.exception("unexpected error while polling", extra={"feed": feed.url})
        outcome.error = f"internal error ({exc.__class__.__name__}: {exc}); see the log"
        await pollstate.record_error(
            rt, feed, state, outcome.error, None, None, now, answered=answered
        )
    outcome.next_check = state.next_check or now
    outcome.elapsed = time.monotonic() - started
    if rt.metrics is not None:
        _observe(rt.metrics, feed, state, outcome)
    return outcome


async def ingest(
    rt: Runtime,
    feed: FeedConfig,
    state: FeedState,
    result: FetchResult,
    now: float,
    *,
    pushed: bool = False,
    answered: float | None = None,
) -> PollOutcome:
    """The path of a fetched body, from the response to the alerts it causes; ``answered``:
    when the feed's host answered (``pollstate.record_success``)."""
    _follow_permanent_redirect(feed, state, result)
    state.etag, state.last_modified = result.etag, result.last_modified
    if result.body is None:
        return await _nothing_new(rt, feed, state, result, "not_modified", now, answered)
    digest = hashlib.sha256(result.body).hexdigest()
    if digest == state.body_hash:  # validators ignored, same bytes: nothing to parse
        return await _nothing_new(rt, feed, state, result, "unchanged", now, answered)
    # [fetch] bodies_in_flight: past it a poll waits with its body unparsed, one block, where
    # its parsed items are thousands of small objects that leave holes in the heap when freed;
    # counted, so that polls sure to bring a body do not all fetch it to wait here
    async with rt.unparsed.slot(rt.body_slots):
        limit = rt.config.monitor.max_new_items
        # parse and normalize, in a parse thread, all but the items the feed's last body had
        # (rt.memory) listed since ``since``; ``order`` only when there may be too many new
        since = listed_since(now, rt.config.monitor.retention)
        body = await parse_off_loop(
            rt.parse_threads, result.body, result.headers, url=result.final_url,
            now=datetime.fromtimestamp(now, UTC), limit=limit,
            known=rt.memory.recall(state.id),
            cutoff=max(rt.memory.cutoff(now, rt.config.monitor.retention), since),
        )  # fmt: skip
        # Parsed: the body is not held while this poll waits for its turn at the store (with
        # polls queued there at a cold start, their bodies were a large part of the peak RSS).
        result = replace(result, body=b"")
        parsed = body.feed
        _take_feed_details(rt, feed, state, result, parsed, body.publishing)
        state.body_hash = digest
        entries, cut = parsed.entries, 0
        if body.order is not None:  # the older of too many new items: stored as seen, in slices
            entries, cut = await set_aside_older(rt.store, state.id, entries, body.order, limit)
        # One transaction: a crash keeps the whole poll or none of it.
        async with rt.store.transaction() as db:
            queued = rt.stages.queued  # one transaction at a time: the difference is this poll's
            # on a feed's first poll (recorded after its items), whether each item's time says
            # when its news happened: decided for the whole poll, kept with the item
            first_poll = not pushed and state.last_success is None
            # The site the feed last named: a body whose link names none is not another outlet
            named = site_of_feed(parsed.link)
            if named is not None and state.site is None and state.items_total:
                await name_site(db, state.id, named)  # its first: what it stored is the site's
            state.site = named or state.site
            inserted = await _store_new(db, feed, state, entries, first_poll, state.site)
            # published more than max_age ago: old news, stored as seen (no story, no alert)
            oldest = now - rt.config.monitor.max_age
            if state.last_success is not None:  # published since the last good poll: news
                oldest = min(oldest, state.last_success)
            stored, old = news_only(inserted, oldest)
            # stories and events -> rules -> alerts (and updates of grown ones), in slices
            await run_stages(rt.assign or rt.stages.process, db, stored, now)
            alerts = rt.stages.queued - queued
            _count_new(state, len(stored), cut, old, now)
            pollstate.record_body(feed, state, parsed.malformed, now)
            pollstate.record_success(
                rt, feed, state, result, parsed.ttl_seconds, now, answered=answered
            )
            if not pushed and parsed.malformed is None:  # the whole feed: retention keeps it
                state.listed_since = since
            elif state.listed_since is not None:  # maybe not all of it: what it read is kept
                # (listed now), the rest goes by retention; a WebSub feed's polls see the
                # pushed bytes again ("unchanged"), and a feed always malformed never has
                # a whole body: listed_since held still kept all their items (review18f)
                state.listed_since = max(state.listed_since, now - rt.config.monitor.retention)
            await pollstate.save(rt, db, state)
            known = await _known_items(db, state, body.recall, parsed.entries, inserted, now, since)
        if known is not None:  # committed: the store has every item of this body
            rt.memory.keep(state.id, known, add=pushed)
    _log_new(feed, len(stored), cut, old, rt.config.monitor.max_age)
    if stored:
        rt.deliverer.wake()  # the alerts this poll queued are committed: send them
    new_items = len(inserted) + cut
    return PollOutcome(
        url=feed.url, result="new", new_items=new_items, old=old, alerts=alerts, items=body.items
    )


async def ingest_pushed(
    rt: Runtime, feed: FeedConfig, body: bytes, headers: Mapping[str, str]
) -> PollOutcome:
    """A body that arrived without a fetch (a WebSub push): the same parse, store, stories,
    rules and outbox as a polled one, in one transaction. Raises ``ParseError`` for a body
    that is not a feed and ``MonitorError`` when the store fails (nothing of it is kept);
    the poll's validators stay as they were, the next poll's conditional GET still holds."""
    state = rt.states[feed.url]
    started = time.monotonic()
    before = pollstate.snapshot(state)
    pushed = FetchResult(
        status=200, body=body, headers=dict(headers), final_url=state.effective_url,
        permanent_url=None, etag=state.etag, last_modified=state.last_modified,
        max_age=None, elapsed=0.0,
    )  # fmt: skip
    try:
        outcome = await ingest(rt, feed, state, pushed, rt.clock(), pushed=True)
    except BaseException as exc:
        pollstate.restore(state, before)
        if not isinstance(exc, ParseError):
            _forget_after_failure(rt)
        raise
    outcome.elapsed = time.monotonic() - started
    if rt.metrics is not None:
        rt.metrics.items.inc(outcome.items)
        rt.metrics.new_items.inc(outcome.new_items)
    return outcome


def _forget_after_failure(rt: Runtime) -> None:
    """After a poll that failed past its parse: the story window may name stories the
    rollback undid, and a store that failed may have lost what it had committed (a failover):
    both are read from the store again."""
    rt.stages.invalidate()
    rt.memory.clear()


# --- the steps of ``ingest`` ---


def _follow_permanent_redirect(feed: FeedConfig, state: FeedState, result: FetchResult) -> None:
    if result.permanent_url and result.permanent_url != state.fetch_url:
        register_keys(result.permanent_url)  # a new key there is masked as the old one was
        log.info(
            "moved permanently to %s; following it from now on",
            result.permanent_url,
            extra={"feed": feed.url},
        )
        state.fetch_url = result.permanent_url


async def _nothing_new(
    rt: Runtime, feed: FeedConfig, state: FeedState, result: FetchResult, why: str, now: float,
    answered: float | None,
) -> PollOutcome:  # fmt: skip
    """A 304, or the same body as last time: only the feed's state changes (a body that was
    malformed still is: ``state.malformed`` stays)."""
    pollstate.record_success(rt, feed, state, result, None, now, answered=answered)
    await pollstate.save_alone(rt, state)
    return PollOutcome(url=feed.url, result=why)


def _take_feed_details(
    rt: Runtime, feed: FeedConfig, state: FeedState, result: FetchResult, parsed: ParsedFeed,
    publishing: Publishing | None,
) -> None:  # fmt: skip
    """What the body says about its feed: its title, publishing rate and WebSub hub."""
    if parsed.warning:
        log.debug("%s", parsed.warning, extra={"feed": feed.url})
    if rt.on_parsed is not None:
        rt.on_parsed(feed, result.headers, parsed, result.final_url)
    rt.publishing[feed.url] = publishing
    if parsed.title:
        state.title = parsed.title


async def _store_new(
    db: Db, feed: FeedConfig, state: FeedState, entries: Sequence[Item], first_poll: bool,
    site: str | None,
) -> list[StoredItem]:  # fmt: skip
    """Store the entries the feed has not had before; only those go on. On its ``first_poll``
    the undated (or stamped) ones are untimed (``events.when``). The feed's own items are
    credited to its ``site`` (``FeedState.site``) where it has one."""
    untimed: frozenset[str] = frozenset()
    if first_poll:
        marks = when.untimed([item_store.to_ts(e.published) for e in entries])
        untimed = frozenset(e.key for e, mark in zip(entries, marks, strict=True) if mark)
    # A <source> that names the feed itself is no other outlet's: the feed's own items are
    # one outlet, whichever of them says so (review20g: "Wire" counted twice, a burst of one)
    own = {n for n in (feed.name, state.title) if n}
    for entry in entries:
        if entry.source and entry.source in own:
            entry.source = ""
            # A feed with no site of its own named after the outlet it carries (a Google
            # News search for Reuters, called "Reuters"): its <source url> still says whose
            # items they are, and Reuters' own feed is that outlet, not a second one.
            if site is None:
                continue
        # The feed's own item is its site's, not its links' (feedproxy.google.com); an item
        # whose <source> has no address stays that name's (no site to tell it by).
        if not entry.source:
            entry.site = site or ""
    inserted = await insert_new(db, state.id, entries, untimed)
    # The name its items are counted by as an outlet (and a rule's feeds= compares): the URL
    # itself, not the label a user reads (``feed_name``), as the items stored before have it.
    name, tags = feed.name or state.title or feed.url, tuple(feed.tags)
    return [
        StoredItem(
            id=item_id,
            feed_id=state.id,
            feed_name=name,
            feed_tags=tags,
            item=item,
            feed_url=feed.url,
            untimed=item.key in untimed,
        )
        for item_id, item in inserted
    ]


async def _known_items(
    db: Db,
    state: FeedState,
    recall: Recall | None,
    entries: Sequence[Item],
    stored: Sequence[StoredItem],
    now: float,
    since: float,
) -> KnownItems | None:
    """The items read that were not new listed ``now`` where last listed before ``since``;
    and what the feed's memory keeps of this body: each item with when its feed last listed
    it (this poll, or earlier), trusted until that is before a later poll's ``since``."""
    listed = dict.fromkeys((s.item.key for s in stored), now)
    older = list({e.key for e in entries if e.key not in listed})
    if older:
        listed.update(await item_store.listed(db, state.id, older, now, since))
    return recall.remember(entries, listed) if recall is not None else None


def _count_new(state: FeedState, stored: int, cut: int, old: int, now: float) -> None:
    if stored:
        state.last_new_item = now
    state.items_total += stored + cut + old
    if cut:
        state.last_cut, state.last_cut_at = cut, now
    if old:
        state.last_old, state.last_old_at = old, now


def _log_new(feed: FeedConfig, stored: int, cut: int, old: int, max_age: float) -> None:
    # DEBUG: a line a poll is thousands an interval on a large deployment; the daemon's
    # summary counts them at INFO (``monitor.pollsummary``), ``monitor status`` shows the last.
    if stored:
        log.debug("%d new item%s", stored, "s" * (stored != 1), extra={"feed": feed.url})
    if old:
        log.debug(
            "%d item%s published more than %s ago: stored as seen, not news",
            old, "s" * (old != 1), format_duration(max_age), extra={"feed": feed.url},
        )  # fmt: skip
    if cut:
        log.warning(
            "%d more new items than [monitor] max_new_items: kept the newest %d for"
            " stories and alerts; the %d older ones are stored as seen, without them",
            cut, stored, cut, extra={"feed": feed.url},
        )  # fmt: skip


def _observe(m: Metrics, feed: FeedConfig, state: FeedState, outcome: PollOutcome) -> None:
    from monitor.metrics import feed_label  # loaded already: ``m`` is one of its

    m.fetches.labels(outcome.result).inc()
    m.items.inc(outcome.items)
    m.new_items.inc(outcome.new_items)
    m.pipeline_seconds.observe(outcome.elapsed)
    if outcome.fetch_seconds is not None:
        m.fetch_seconds.observe(outcome.fetch_seconds)
    if state.last_success:
        m.last_success.labels(feed_label(feed.url, state.id)).set(state.last_success)
