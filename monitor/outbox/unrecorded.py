"""outbox.unrecorded: a channel's sends that the store could not record as sent (PostgreSQL
restarting or failing over, a dropped connection): one WARNING when it begins, one INFO line
when a record is made again, with how many tries failed and how many alerts waited; the
tries between are DEBUG. It was a WARNING at every try, every 5 s for as long as it lasted,
as ``storeoutage`` says a store's failing writes once, not per poll. Nothing is dropped: the
worker tries each record again until the store is back (``outbox.worker._record_sent``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from monitor.plural import plural

log = logging.getLogger("monitor.outbox")


class Unrecorded:
    """One channel's records of sends that fail, from the first failure to the next record."""

    def __init__(self, name: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self._clock = clock
        self._since: float | None = None  # the first failure; None while records are made
        self._tries = 0
        self._alerts: set[int] = set()

    def failed(self, ids: Iterable[int], pause: float, error: Exception) -> None:
        """A record of the alerts ``ids`` failed; it is made again in ``pause`` seconds."""
        ids = list(ids)
        self._tries += 1
        self._alerts.update(ids)
        if self._since is None:
            self._since = self._clock()
            log.warning(
                "%s: recording alert %s sent failed, trying again (said once, and again when it"
                " works): %s", self.name, ids, error,
            )  # fmt: skip
        else:
            log.debug("%s: recording alert %s sent failed again, next try in %.1fs: %s",
                      self.name, ids, pause, error)  # fmt: skip

    def recorded(self) -> None:
        """A record was made: the failure is over, if there was one."""
        if self._since is None:
            return
        log.info(
            "%s: sends are recorded again after %.0fs; %s failed meanwhile, %s waited for it",
            self.name, self._clock() - self._since, plural(self._tries, "try", "tries"),
            plural(len(self._alerts), "alert"),
        )  # fmt: skip
        self._since, self._tries, self._alerts = None, 0, set()
