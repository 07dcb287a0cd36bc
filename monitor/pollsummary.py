"""What ``monitor run`` says of its polls as a whole, in the log: one line once every feed has
been polled since start (a cold start of a thousand feeds otherwise ends in a thousand lines
of its own and no word that it is over), then one line a poll interval (``period``).

A poll's own line ("3 new items") is DEBUG: at 2,500 feeds on a 5-minute interval that was
~2,000 INFO lines a cycle, 67 MB of journal a day that no operator reads. The line an interval
says what they need instead: polls done (about as many as feeds: it keeps up), new items,
alerts queued, feeds failing, the slowest poll. An interval, not a minute: it is one cycle of
polls, so its count compares with the feed count, where a minute's would be a share of a cycle
that the jitter moves. A healthy daemon with no news still logs that line: a silent journal
reads like a hung process."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from monitor.plural import plural

log = logging.getLogger("monitor.daemon")

SUMMARY_EVERY = 3600.0  # seconds between two summaries at most (the longest interval's line)
SUMMARY_MIN = 60.0  # ... and at least: an interval of seconds still gets a line a minute


def period(interval: float) -> float:
    """Seconds between two summaries for a daemon whose default poll interval is ``interval``."""
    return min(max(interval, SUMMARY_MIN), SUMMARY_EVERY)


@dataclass(slots=True)
class _Counts:
    polls: int = 0
    pushes: int = 0  # bodies a WebSub hub pushed: new items without a poll
    new_items: int = 0
    feeds_with_new: set[str] = field(default_factory=set)  # their URLs: a feed counts once
    unchanged: int = 0
    errors: int = 0
    old: int = 0  # of the new items: published more than max_age ago, stored as seen
    alerts: int = 0
    slowest: float = 0.0  # seconds
    slowest_feed: str = ""

    def add(
        self, url: str, result: str, new_items: int, old: int, alerts: int, took: float, name: str
    ) -> None:
        self.polls += 1
        self.brought(url, new_items, old, alerts)
        if took > self.slowest or not self.slowest_feed:
            self.slowest, self.slowest_feed = took, name
        if result in ("unchanged", "not_modified"):
            self.unchanged += 1
        elif result == "error":
            self.errors += 1

    def brought(self, url: str, new_items: int, old: int, alerts: int) -> None:
        """What a poll or a push of the feed at ``url`` brought."""
        self.new_items += new_items
        self.old += old
        self.alerts += alerts
        if new_items:
            self.feeds_with_new.add(url)


class PollSummary:
    """Fed every poll's outcome by the daemon; logs the lines above."""

    def __init__(
        self,
        feeds: Iterable[str],
        *,
        clock: Callable[[], float] = time.monotonic,
        every: float = SUMMARY_EVERY,
        alerts: bool = True,
    ) -> None:
        self._clock = clock
        # False where polls queue no alert (a node of a cluster: the assigner queues them).
        self._alerts = alerts
        self.every = every  # seconds; a reload may change it
        self._waiting = set(feeds)  # not yet polled since start
        self._started = self._since = clock()
        self._first = _Counts()
        self._period = _Counts()
        self._failing: set[str] = set()
        if not self._waiting:
            self._started = -1.0  # nothing to wait for: no first-pass line

    def forget(self, urls: Iterable[str]) -> None:
        """Feeds gone from the config (a reload): not waited for, not counted as failing."""
        gone = set(urls)
        self._failing -= gone
        if self._waiting:
            self._waiting -= gone
            if not self._waiting:
                self._first_pass_done()

    def polled(
        self, url: str, result: str, new_items: int, *, old: int = 0, alerts: int = 0,
        took: float = 0.0, name: str = "",
    ) -> None:  # fmt: skip
        """One poll's outcome: ``new_items`` stored for the first time (``old`` of them too
        old to be news), ``alerts`` it queued, ``took`` seconds, of the feed named ``name``."""
        if result == "error":
            self._failing.add(url)
        else:
            self._failing.discard(url)
        poll = (url, result, new_items, old, alerts, took, name or url)
        self._period.add(*poll)
        if self._waiting:
            self._first.add(*poll)
            self._waiting.discard(url)
            if not self._waiting:
                self._first_pass_done()
        now = self._clock()
        if now - self._since >= self.every:
            # The span it covers, in whole minutes: the interval, or what a reload that
            # shortened it left of the longer one (review18c: "5 minutes" for 50).
            span = now - self._since
            counts, self._period, self._since = self._period, _Counts(), now
            log.info(
                "in the last %s: %s%s, %s from %s%s%s%s; %s",
                _span(round(span / 60) * 60.0 if span >= 60 else span),
                plural(counts.polls, "poll"),
                f", {plural(counts.pushes, 'push', 'pushes')}" if counts.pushes else "",
                plural(counts.new_items, "new item"),
                plural(len(counts.feeds_with_new), "feed"),
                _old(counts.old),
                self._queued(counts, ", "),
                _slowest(counts),
                self._failing_now(),
            )

    def pushed(self, url: str, new_items: int, *, old: int = 0, alerts: int = 0) -> None:
        """A body a WebSub hub pushed for the feed at ``url``, stored: counted in the
        interval's line, as no poll."""
        self._period.pushes += 1
        self._period.brought(url, new_items, old, alerts)

    def _first_pass_done(self) -> None:
        if self._started < 0:
            return
        took, counts = self._clock() - self._started, self._first
        self._started = -1.0
        log.info(
            "every feed polled once since start, in %.0fs: %s with new items (%s%s%s)"
            ", %s unchanged, %s",
            took,
            plural(len(counts.feeds_with_new), "feed"),
            plural(counts.new_items, "new item"),
            _old(counts.old),
            self._queued(counts, ", "),
            f"{counts.unchanged:,}",
            self._failing_now(),
        )

    def _queued(self, counts: _Counts, before: str) -> str:
        return f"{before}{plural(counts.alerts, 'alert')} queued" if self._alerts else ""

    def _failing_now(self) -> str:
        failing = len(self._failing)
        if not failing:
            return "no feed failing"
        return f"{plural(failing, 'feed')} failing (monitor status lists them)"


def _old(old: int) -> str:
    return f", {old:,} of them older than max_age" if old else ""


def _slowest(counts: _Counts) -> str:
    if not counts.polls:
        return ""
    return f"; slowest poll {counts.slowest:.1f}s ({counts.slowest_feed})"


def _span(seconds: float) -> str:
    for size, unit in ((3600, "hour"), (60, "minute")):
        if seconds % size == 0:
            count = int(seconds // size)
            return unit if count == 1 else f"{count} {unit}s"
    return f"{seconds:.0f}s"
