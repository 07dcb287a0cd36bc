"""schedule: when each feed is polled next, and the scheduler that polls it then.

The next check is the largest of the feed's interval, its TTL, the response's max-age or
Expires, and a server's Retry-After; on errors, exponential backoff from the interval up to
``max_backoff``. Hints are capped at ``max_backoff`` too, so no feed can ask to be forgotten,
and floored at ``min_interval``, so none can ask to be hammered. Jitter spreads the polls.
A failing feed is never disabled: it keeps being tried at the backoff cap and its health
says why.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler


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


PollJob = Callable[[str], Awaitable[None]]


class FeedScheduler:
    """One APScheduler date job per feed, re-armed after each poll with its next time.

    APScheduler runs each job as a task on the daemon's loop; ``max_instances=1`` keeps
    a slow feed from being polled twice at once and ``coalesce`` folds missed runs into one.
    """

    def __init__(self, poll: PollJob) -> None:
        self._poll = poll
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    def start(self) -> None:
        self._scheduler.start()

    def shutdown(self) -> None:
        """Take no new work; polls already running are the daemon's to wait for."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def schedule_feed(self, url: str, at: float) -> None:
        self._scheduler.add_job(
            self._poll,
            "date",
            run_date=datetime.fromtimestamp(at, UTC),
            args=[url],
            id=_job_id(url),
            replace_existing=True,
        )

    def unschedule_feed(self, url: str) -> None:
        job = self._scheduler.get_job(_job_id(url))
        if job is not None:
            job.remove()

    def scheduled_feeds(self) -> set[str]:
        return {j.id[5:] for j in self._scheduler.get_jobs() if j.id.startswith("feed:")}

    def every(self, name: str, seconds: float, job: Callable[[], Awaitable[None]]) -> None:
        """A housekeeping job (retention, health checks) every ``seconds``."""
        self._scheduler.add_job(job, "interval", seconds=seconds, id=name, replace_existing=True)


def _job_id(url: str) -> str:
    return f"feed:{url}"
