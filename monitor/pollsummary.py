"""What ``monitor run`` says of its polls as a whole, in the log: one line once every feed has
been polled since start (a cold start of a thousand feeds otherwise ends in a thousand lines
of its own and no word that it is over), then one line an hour (a healthy daemon with no
news otherwise logs nothing, and a silent journal reads like a hung process)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

log = logging.getLogger("monitor.daemon")

SUMMARY_EVERY = 3600.0  # seconds between two summaries after the first pass


@dataclass(slots=True)
class _Counts:
    polls: int = 0
    new_items: int = 0
    feeds_with_new: int = 0
    unchanged: int = 0
    errors: int = 0

    def add(self, result: str, new_items: int) -> None:
        self.polls += 1
        self.new_items += new_items
        if new_items:
            self.feeds_with_new += 1
        if result in ("unchanged", "not_modified"):
            self.unchanged += 1
        elif result == "error":
            self.errors += 1


def plural(count: int, word: str, words: str | None = None) -> str:
    """'1 feed', '2 feeds', '1,000 feeds'."""
    return f"{count:,} {word if count == 1 else (words or word + 's')}"


class PollSummary:
    """Fed every poll's outcome by the daemon; logs the lines above."""

    def __init__(
        self,
        feeds: Iterable[str],
        *,
        clock: Callable[[], float] = time.monotonic,
        every: float = SUMMARY_EVERY,
    ) -> None:
        self._clock = clock
        self._every = every
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

    def polled(self, url: str, result: str, new_items: int) -> None:
        if result == "error":
            self._failing.add(url)
        else:
            self._failing.discard(url)
        self._period.add(result, new_items)
        if self._waiting:
            self._first.add(result, new_items)
            self._waiting.discard(url)
            if not self._waiting:
                self._first_pass_done()
        now = self._clock()
        if now - self._since >= self._every:
            counts, self._period, self._since = self._period, _Counts(), now
            log.info(
                "in the last %s: %s, %s from %s; %s",
                _span(self._every),
                plural(counts.polls, "poll"),
                plural(counts.new_items, "new item"),
                plural(counts.feeds_with_new, "feed"),
                self._failing_now(),
            )

    def _first_pass_done(self) -> None:
        if self._started < 0:
            return
        took, counts = self._clock() - self._started, self._first
        self._started = -1.0
        log.info(
            "every feed polled once since start, in %.0fs: %s with new items (%s), %s unchanged"
            ", %s",
            took,
            plural(counts.feeds_with_new, "feed"),
            plural(counts.new_items, "new item"),
            f"{counts.unchanged:,}",
            self._failing_now(),
        )

    def _failing_now(self) -> str:
        failing = len(self._failing)
        if not failing:
            return "no feed failing"
        return f"{plural(failing, 'feed')} failing (monitor status lists them)"


def _span(seconds: float) -> str:
    if seconds % 3600 == 0:
        hours = int(seconds // 3600)
        return "hour" if hours == 1 else f"{hours} hours"
    return f"{seconds:.0f}s"
