"""schedule: when each feed is polled next, and the scheduler that polls it then.

The next check is the largest of the feed's interval, its TTL, the response's max-age or
Expires, and a server's Retry-After; on errors, exponential backoff from the interval up to
``max_backoff``. Hints are capped at ``max_backoff`` too, so no feed can ask to be forgotten,
and floored at ``min_interval``, so none can ask to be hammered. Jitter spreads the polls.
A failing feed is never disabled: it keeps being tried at the backoff cap and its health
says why. With ``[monitor] schedule = "adaptive"`` the interval itself comes from the feed's
own publishing rate (``adaptive_interval``), the same rules on top.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from monitor.waits import wait_event

if TYPE_CHECKING:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger("monitor.schedule")


@dataclass(frozen=True, slots=True)
class Timing:
    """The scheduling settings of one feed, in seconds."""

    interval: float
    min_interval: float
    max_backoff: float
    jitter: float


def next_delay(
    timing: Timing,
    *,
    error_streak: int = 0,
    ttl: float | None = None,
    max_age: float | None = None,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds until the next poll of a feed."""
    if error_streak > 0:
        base = min(timing.max_backoff, timing.interval * 2.0 ** min(error_streak - 1, 30))
    else:
        base = timing.interval
    hints = [h for h in (ttl, max_age, retry_after) if h is not None]
    delay = max([base, *(min(h, timing.max_backoff) for h in hints)])
    if timing.jitter:
        low, high = 1 - timing.jitter, 1 + timing.jitter
        delay *= rng.uniform(low, high) if rng else random.uniform(low, high)
    # Retry-After is a promise to the server: jitter may move us later, never earlier.
    if retry_after is not None:
        delay = max(delay, min(retry_after, timing.max_backoff))
    return max(delay, timing.min_interval)


def next_check(
    timing: Timing,
    answered: float,
    ended: float,
    *,
    error_streak: int = 0,
    ttl: float | None = None,
    max_age: float | None = None,
    retry_after: float | None = None,
) -> float:
    """When to poll a feed again, after a poll whose request was answered at ``answered`` and
    that ended at ``ended``.

    ``next_delay`` after the answer, not after the poll began: a request that waited for its
    host's fetch slot left late, and a delay counted from before that wait would bring the
    next request sooner than the interval after it. Never sooner than ``min_interval`` (or
    the server's Retry-After, counted from its answer) after the poll ended, so that a poll
    that waited its turn at the store behind others is not due again at once.
    """
    delay = next_delay(
        timing, error_streak=error_streak, ttl=ttl, max_age=max_age, retry_after=retry_after
    )
    floor = timing.min_interval
    if retry_after is not None:
        floor = max(floor, min(retry_after, timing.max_backoff))
    return max(answered + delay, ended + floor)


WEEK = 7 * 86400.0  # how far back a feed's publishing rate is read


@dataclass(frozen=True, slots=True)
class Publishing:
    """A feed's dated items of the last week: how many, and when the oldest of them was."""

    count: int
    oldest: float | None


def publishing(times: Iterable[float], now: float) -> Publishing:
    """From the publication times of a feed's items (a date in the future counts as now)."""
    recent = [min(t, now) for t in times if t >= now - WEEK]
    return Publishing(len(recent), min(recent) if recent else None)


def adaptive_interval(pub: Publishing, now: float, *, low: float, high: float) -> float:
    """The feed's mean gap between items over the last week, clamped to [low, high].

    Miniflux's entry-frequency rule (a week over the week's count) with the week measured
    from the oldest of those items to now: a new feed that shows its last twenty items of
    two hours is polled every six minutes, not every eight hours, and a feed that falls
    silent is polled less and less as its last items age.
    """
    if pub.count == 0 or pub.oldest is None:
        return high
    gap = (now - max(pub.oldest, now - WEEK)) / pub.count
    return min(high, max(low, gap))


PollJob = Callable[[str], Awaitable[float]]  # polls one feed; returns when to poll it next
Housekeeping = Callable[[], Awaitable[None]]

# When a poll fails in a way the pipeline did not record (a bug of ours), when to try again.
RETRY_AFTER_BUG = 60.0


class Dispatching:
    """What every scheduler of polls shares: the dispatcher task (``_dispatch``, which never
    ends on its own), the polls in flight, and APScheduler for the periodic housekeeping jobs."""

    def __init__(self) -> None:
        self._polling: dict[str, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._dispatcher: asyncio.Task[None] | None = None
        # Here, not at the top: the store and `monitor once` import this module for its
        # timing rules and never run the housekeeping jobs.
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self._housekeeping: AsyncIOScheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    async def _dispatch(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._housekeeping.start()
        self._dispatcher = asyncio.get_running_loop().create_task(
            self._dispatch(), name="monitor-dispatcher"
        )

    def shutdown(self) -> None:
        """Take no new work; polls already running are the daemon's to wait for."""
        if self._housekeeping.running:
            self._housekeeping.shutdown(wait=False)
        if self._dispatcher is not None:
            self._dispatcher.cancel()

    @property
    def running(self) -> bool:
        """The dispatcher is alive (it never ends on its own) and housekeeping runs."""
        dispatcher = self._dispatcher
        return dispatcher is not None and not dispatcher.done() and bool(self._housekeeping.running)

    @property
    def polling(self) -> int:
        return len(self._polling)

    def every(
        self, name: str, seconds: float, job: Housekeeping, *, first: float | None = None
    ) -> None:
        """A housekeeping job (retention, health checks) every ``seconds``; its first run
        ``first`` seconds after start when given, else ``seconds`` after."""
        when = None if first is None else datetime.now(UTC) + timedelta(seconds=first)
        self._housekeeping.add_job(
            job, "interval", seconds=seconds, id=name, replace_existing=True,
            **({} if when is None else {"next_run_time": when}),
        )  # fmt: skip


class FeedScheduler(Dispatching):
    """Every feed's next poll in one due-queue; a dispatcher starts the polls that are due.

    The invariant: a scheduled feed is in exactly one place, waiting in the queue with its
    next time or being polled, and only ``unschedule_feed`` takes it out. A poll that ends,
    however it ends, puts its feed back with the time it returns (computed when it ended,
    so an overdue poll is neither left due in the past nor repeated at once). Nothing here
    can skip or lose a feed's turn: a feed that is due while the dispatcher is at its bound
    simply waits, first due first served.

    At most ``max_polls`` polls run at once, so a cold start of thousands of feeds makes
    that many tasks, not thousands. APScheduler runs the periodic housekeeping jobs; its
    skip-if-still-running rule is right for those (the next run comes anyway) and was wrong
    for feeds (a skipped one-off job is gone for good).
    """

    def __init__(
        self,
        poll: PollJob,
        *,
        max_polls: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self._poll = poll
        self.max_polls = max_polls
        self._clock = clock
        self._feeds: set[str] = set()  # every scheduled feed
        self._due: dict[str, float] = {}  # waiting feeds and their time
        self._queue: list[tuple[float, int, str]] = []  # entries not matching _due are stale
        self._order = itertools.count()

    def schedule_feed(self, url: str, at: float) -> None:
        """Poll ``url`` at ``at`` (a Unix time); moves a waiting feed, leaves a polling one be."""
        self._feeds.add(url)
        if url not in self._polling:
            self._enqueue(url, at)

    def bring_forward(self, url: str, at: float) -> None:
        """Poll a waiting ``url`` at ``at`` if it was due later (a polling one puts itself
        back when its poll ends)."""
        due = self._due.get(url)
        if due is not None and at < due:
            self._enqueue(url, at)

    def unschedule_feed(self, url: str) -> None:
        """Take ``url`` out: no further poll (one in flight finishes and is not put back)."""
        self._feeds.discard(url)
        self._due.pop(url, None)

    def scheduled_feeds(self) -> set[str]:
        """The feeds that have a next poll: waiting for it, or being polled."""
        return set(self._due) | set(self._polling)

    def _enqueue(self, url: str, at: float) -> None:
        self._due[url] = at
        heapq.heappush(self._queue, (at, next(self._order), url))
        self._wake.set()

    async def _dispatch(self) -> None:
        while True:
            self._wake.clear()
            now = self._clock()
            queue = self._queue
            while queue and len(self._polling) < self.max_polls:
                at, _, url = queue[0]
                if self._due.get(url) != at:  # moved or unscheduled since it was queued
                    heapq.heappop(queue)
                    continue
                if at > now:
                    break
                heapq.heappop(queue)
                del self._due[url]
                self._polling[url] = asyncio.get_running_loop().create_task(self._run(url))
            timeout = None
            if queue and len(self._polling) < self.max_polls:
                timeout = max(0.0, queue[0][0] - now)
            await wait_event(self._wake, timeout)

    async def _run(self, url: str) -> None:
        at: float | None = None
        try:
            at = await self._poll(url)
        except Exception:
            log.exception("the poll failed unexpectedly; trying again later", extra={"feed": url})
        finally:
            del self._polling[url]
            if url in self._feeds:  # still configured: it goes back, whatever happened
                self._enqueue(url, at if at is not None else self._clock() + RETRY_AFTER_BUG)
            self._wake.set()  # a slot is free
