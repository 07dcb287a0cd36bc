"""The daemon's own health: what /healthz answers and when systemd's watchdog is fed.

The daemon says what is wrong (``Daemon.health_problem``); this module asks the store in a
way that never makes /healthz wait, and watches: each change of health is logged, and
WATCHDOG=1 goes to systemd only while healthy, so that systemd restarts a daemon that is
stuck or has lost its store.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from monitor.sdnotify import Notifier, watchdog_interval
from monitor.store import Store, report

log = logging.getLogger("monitor.daemon")
STORE_STUCK = 30.0  # seconds the store may be busy before health calls it stuck
ASK_STORE_FOR = 0.5  # seconds /healthz waits for the store's answer before going on
WATCH_EVERY = 2.0  # seconds between checks of the daemon's health when systemd sets no pace


class SelfCheck:
    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier
        self._probe: asyncio.Task[str | None] | None = None
        self._probe_started = 0.0

    async def store_problem(self, store: Store) -> str | None:
        """Why the store cannot keep what it is given, or None.

        Its file gone or replaced, or its last write failed (``Store.problem``); or it has
        not answered a query for STORE_STUCK. The query waits behind whatever the database
        thread is doing (a poll writing 100,000 items, a writer waiting out the busy
        timeout), so it is asked once and waited for briefly: health answers at once.
        """
        problem = store.problem()
        if problem is not None:
            return problem
        probe = self._probe
        if probe is None or probe.done():
            probe = self._probe = asyncio.get_running_loop().create_task(_select_one(store))
            self._probe_started = time.monotonic()
        done, _ = await asyncio.wait({probe}, timeout=ASK_STORE_FOR)
        if done:
            return probe.result()
        silent = time.monotonic() - self._probe_started
        return f"the store has not answered for {silent:.0f}s" if silent > STORE_STUCK else None

    async def watch(
        self,
        problem: Callable[[], Awaitable[str | None]],
        *,
        told: Callable[[str], bool] = lambda _: False,
    ) -> None:
        """Until cancelled: log each change of health, feed the watchdog while healthy. A
        problem ``told`` is one its owner logged as an ERROR already (``StoreOutage``): the
        change of health is INFO then, one ERROR line for one failure."""
        interval = watchdog_interval()
        last: str | None = None
        while True:
            now = await problem()
            if now is None and interval is not None:
                self.notifier.watchdog()
            if now != last:  # changes of health, not every tick
                if now:
                    fed = ", no longer feeding the systemd watchdog" if interval else ""
                    level = logging.INFO if told(now) else logging.ERROR
                    log.log(level, "unhealthy (/healthz answers 503%s): %s", fed, now)
                else:
                    log.info("healthy again")
                last = now
            await asyncio.sleep(interval or WATCH_EVERY)

    def close(self) -> None:
        if self._probe is not None:
            self._probe.cancel()


async def _select_one(store: Store) -> str | None:
    try:
        await report.answers(store.db)
    except Exception as exc:  # any failure of the store is unhealthy, whatever its kind
        return f"the store does not answer ({exc.__class__.__name__})"
    return None
