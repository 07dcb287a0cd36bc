"""A store whose writes fail (a full disk, a read-only file, a lock held elsewhere): told once,
polls held back until it takes writes again, tried again at a bounded backoff.

Without it every poll fetched, parsed, rebuilt the story and event windows its failed
transaction had made stale, failed to commit and logged it: hundreds of lines a minute at a
core's worth of CPU, for a failure that one line says. Held back, a feed loses nothing: its
items wait on its server, its state in memory stays as it was before the failed poll, and it
is polled once the store works. A poll that is let through at the retry time is the probe:
a real poll: "works again" means a poll was kept. Not any write that worked: an update in
place (the outbox marking an alert sent, a batch of feed states) may fit where a poll's new
items do not, and a failure told again at each such write would flap.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import TYPE_CHECKING

from monitor.store import Store

if TYPE_CHECKING:
    from monitor.metrics import Metrics  # prometheus_client: only when metrics are served

log = logging.getLogger("monitor.daemon")
FIRST_RETRY = 5.0  # seconds from the failure to the first probe; doubled after each failed one
MAX_RETRY = 30.0  # ... up to this
SPREAD = 2.0  # seconds over which the held-back polls come back at each retry time


class StoreOutage:
    """The daemon's view of its store's write path: working, or failing since when."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], float],
        metrics: Metrics | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self._clock = clock
        self._metrics = metrics
        self._rng = rng or random.Random()
        self._since: float | None = None  # the failure's start; None while writes work
        self._cause = ""  # the last failure the store named
        self._retry_at = 0.0
        self._backoff = FIRST_RETRY
        self._probing = False
        self._held = 0

    @property
    def failing(self) -> bool:
        return self._since is not None

    def problem(self) -> str | None:
        """What /healthz says while the store fails, or None."""
        return None if self._since is None else self._describe(self._cause)

    def _describe(self, cause: str) -> str:
        return (
            f"store: writes to the database fail at {self.store.name}: {cause};"
            f" polls wait for it, tried again every {MAX_RETRY:.0f}s at most"
        )

    def hold(self) -> float | None:
        """Before a poll: None to let it run, else when to poll the feed instead (it is not
        polled now: the store would refuse what it brings)."""
        if self._since is None:
            return None
        now = self._clock()
        if now >= self._retry_at and not self._probing:
            self._probing = True
            return None
        self._held += 1
        at = self._retry_at if now < self._retry_at else now + self._backoff  # a probe runs
        return at + self._rng.uniform(0.0, SPREAD)

    def polled(self, *, probe: bool, ok: bool, kept: bool) -> None:
        """After a poll that ran (``probe``: the one ``hold`` let through during a failure;
        ``ok``: it did not fail; ``kept``: it committed new items of its own)."""
        now = self._clock()
        cause = self.store.write_failure
        if probe:
            self._probing = False
            if kept and cause is None:
                # The probe's new items were kept: the store takes what polls bring.
                self._recovered(now)
                return
            if ok:
                # Nothing new to keep (304, unchanged): it tested nothing, and an update in
                # place (a feed's state) may fit where new rows do not (review17c). The next
                # due poll is the probe, at the same backoff.
                return
        if cause is None:
            return
        self._cause = cause
        if self._since is None:
            self._since = now
            self._backoff = FIRST_RETRY
            self._retry_at = now + self._backoff
            self._held = 0
            log.error("%s", self._describe(cause))
            if self._metrics is not None:
                self._metrics.store_failing.set(1)
        elif probe:
            self._backoff = min(self._backoff * 2.0, MAX_RETRY)
            self._retry_at = now + self._backoff

    def _recovered(self, now: float) -> None:
        assert self._since is not None
        log.info(
            "store: writes work again at %s after %.0fs; %d polls held back meanwhile resume",
            self.store.name, now - self._since, self._held,
        )  # fmt: skip
        self._since = None
        self._probing = False
        if self._metrics is not None:
            self._metrics.store_failing.set(0)
