"""The daemon: ``monitor run``, scheduled polls and periodic jobs until a signal (``monitor
once`` is ``oneshot.run_once``).

``run()`` always closes what it opened in ``finally``. On SIGTERM/SIGINT it takes no new
work, gives polls in flight ``grace_period`` to finish, then cancels them (their
transactions roll back) and closes the store. A second signal cancels the polls and the
sends in flight at once; a signal while the store opens cancels the start (which closes
what it opened). The daemon's handlers stay until the store is closed: a signal never
interrupts the close (a SIGINT would raise KeyboardInterrupt there, leaving the database's
thread running and the process hung at exit, holding the database's lock). SIGHUP reloads
the config: a bad new config is refused with its problems logged and the old one kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import random
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING

from monitor import config as config_module
from monitor import interpreter, pollstate
from monitor.config import Config, FeedConfig
from monitor.engine import Engine, max_polls
from monitor.errors import ConfigError
from monitor.feedhealth import check_feeds
from monitor.pipeline import refresh_feed
from monitor.pollsummary import PollSummary, period
from monitor.retention import prune
from monitor.runtime import Runtime, feed_name
from monitor.schedule import FeedScheduler, Timing
from monitor.sdnotify import Notifier
from monitor.store import feeds as feed_store
from monitor.store import report
from monitor.store.location import is_postgres
from monitor.storeoutage import StoreOutage
from monitor.watchdog import SelfCheck

if TYPE_CHECKING:
    from monitor.cluster.dispatcher import LeasedScheduler
    from monitor.cluster.runtime import ClusterNode
    from monitor.metrics import Metrics, MetricsServer
    from monitor.websub.subscriber import WebSub

log = logging.getLogger("monitor.daemon")
RETENTION_EVERY = 3600.0  # seconds between retention runs
# The first run, soon after start (after the first polls began, not in their way): a daemon
# restarted more often than hourly (upgrades, a crash loop) must still prune.
RETENTION_FIRST = 60.0
GAUGES_EVERY = 15.0  # seconds between refreshes of the outbox gauges
FEED_HEALTH_EVERY = 60.0  # seconds between checks of the feeds' health (alerts, not liveness)
START_SPREAD = 3.0  # seconds over which a cold start spreads the feeds' first polls
SPREAD_ENV = "MONITOR_START_SPREAD"


def _start_spread() -> float:
    """START_SPREAD, or less from $MONITOR_START_SPREAD (seconds, 0 for none): the test
    suite's seam, as its hundreds of daemons each waited up to 3 s for their first polls."""
    try:
        value = float(os.environ.get(SPREAD_ENV, ""))
    except ValueError:
        return START_SPREAD
    return value if 0.0 <= value <= START_SPREAD else START_SPREAD


def _place(config: Config) -> Path | str:
    """Where the config's database is, to tell whether a reload moved it."""
    location = config.database_location
    return location.resolve() if isinstance(location, Path) else location


class Daemon:
    """``monitor run``: every feed on its own schedule until SIGTERM/SIGINT."""

    def __init__(
        self, config: Config, config_path: Path | None = None, *, settle_heap: bool = False
    ) -> None:
        self.config = config
        self._settle_heap = settle_heap
        # monitor run's alone (see settle_heap): freed memory back to the system as polls end.
        self._heap_trim = interpreter.HeapTrim() if settle_heap else None
        self.config_path = config_path
        self.stop_event = asyncio.Event()
        self._inflight: set[asyncio.Task[object]] = set()
        self._stopping = False
        self._starting: asyncio.Task[object] | None = None  # until the engine is open
        self._engine: Engine | None = None
        self._scheduler: FeedScheduler | LeasedScheduler | None = None
        self._cluster: ClusterNode | None = None
        self._feeds: dict[str, FeedConfig] = {}
        self._rng = random.Random()
        self._spread = _start_spread()
        # Counted only where something reads the counts: /metrics, and WebSub's own meters
        # (its refusals). Otherwise prometheus_client and aiohttp's server are never imported.
        self.metrics: Metrics | None = None
        if config.monitor.metrics or config.websub is not None:
            from monitor.metrics import Metrics

            self.metrics = Metrics()
        self.metrics_port: int | None = None
        self.notifier = Notifier()
        self._selfcheck = SelfCheck(self.notifier)
        self.websub: WebSub | None = None
        self.websub_port: int | None = None
        self._summary = PollSummary(())
        self._outage: StoreOutage | None = None

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        # From the start to the end of the close: see the module's doc.
        self._starting = asyncio.current_task()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._signalled)
        try:
            return await self._run(loop)
        finally:
            self._starting = None
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)

    async def _run(self, loop: asyncio.AbstractEventLoop) -> int:
        self._engine = await Engine.open(self.config, metrics=self.metrics)
        rt = self._engine.rt
        self._outage = rt.outage = StoreOutage(rt.store, time.time, self.metrics)
        if rt.state_writes is not None:  # the outage says a refused write, once
            rt.state_writes.quiet = True
        if self._settle_heap:
            interpreter.settle_heap()  # what start-up built lives as long as the process
        if is_postgres(self.config.monitor.database):  # one node of several, maybe
            from monitor.cluster.runtime import ClusterNode  # asyncpg: the postgresql extra

            self._cluster = ClusterNode(self._engine, self.metrics)
            try:
                self._scheduler = await self._cluster.start(self._poll, max_polls(self.config))
            except BaseException:
                await self._engine.close()
                raise
        else:
            self._scheduler = FeedScheduler(self._poll, max_polls=max_polls(self.config))
        server: MetricsServer | None = None
        background: list[asyncio.Task[None]] = []
        self._starting = None  # open: a signal now stops the daemon as it runs
        try:
            if self.stop_event.is_set():  # a signal while it started
                return 0
            loop.add_signal_handler(signal.SIGHUP, self._reload_soon)
            if self.config.websub is not None:  # before the first polls: they discover hubs
                from monitor.websub.subscriber import WebSub

                self.websub = WebSub(self.config, self._engine.rt, metrics=self.metrics)
                self._engine.rt.on_parsed = self.websub.on_parsed
                self.websub.on_pushed = lambda o: self._summary.pushed(
                    o.url, o.new_items, old=o.old, alerts=o.alerts
                )
                self.websub_port = await self.websub.start()
            self._schedule_all(self.config.feeds)
            # One node of several polls only its share: no "every feed polled" line there.
            self._summary = PollSummary(
                () if self._cluster else self._feeds, every=period(self.config.monitor.interval),
                alerts=self._cluster is None,  # a node's polls queue items, not alerts
            )  # fmt: skip
            first = min(RETENTION_FIRST, RETENTION_EVERY)  # never later than the hourly run was
            self._scheduler.every("retention", RETENTION_EVERY, self._prune, first=first)
            self._scheduler.every("gauges", GAUGES_EVERY, self._refresh_gauges)
            self._scheduler.every("feed health", FEED_HEALTH_EVERY, self._check_feed_health)
            self._scheduler.start()
            if self._cluster is None:  # else the elected sender delivers
                self._engine.start_delivery()  # resumes whatever the outbox holds
            if self.config.monitor.metrics and self.metrics is not None:
                from monitor.metrics import MetricsServer

                server = MetricsServer(
                    self.metrics, self.health_problem, self.config.monitor.metrics
                )
                self.metrics_port = await server.start()
            told = self._outage.problem  # the outage logs its own start and end
            watch = self._selfcheck.watch(self.health_problem, told=lambda p: p == told())
            background.append(loop.create_task(watch))
            log.info(
                "started: %d feeds, database %s", len(self.config.feeds), self.config.database_shown
            )
            self.notifier.ready()
            await self.stop_event.wait()
            self.notifier.stopping()
            log.info("stopping: no new polls; %d in flight", len(self._inflight))
        finally:
            self._stopping = True
            self._scheduler.shutdown()
            for task in background:
                task.cancel()
            self._selfcheck.close()
            await self._finish_inflight()
            if self._cluster is not None:
                await self._cluster.stop()
            if self.websub is not None:
                await self.websub.stop()
            loop.remove_signal_handler(signal.SIGHUP)
            if server is not None:
                await server.stop()
            await self._engine.close()
            log.info("stopped")
        return 0

    @property
    def _rt(self) -> Runtime | None:
        return self._engine.rt if self._engine is not None else None

    async def _check_feed_health(self) -> None:
        rt = self._rt
        channels = self.config.monitor.health_channels
        if rt is None or not channels:
            return
        if self._cluster is not None:
            # One node judges the feeds' health (the sender: it sends the alerts), on the
            # states in the store, which other nodes' polls wrote.
            if not self._cluster.leads("sender"):
                return
            await self._cluster.refresh_states()
        states = [rt.states[url] for url in self._feeds if url in rt.states]
        names = {url: feed_name(feed, rt.states[url]) for url, feed in self._feeds.items()}
        events = await check_feeds(
            rt.store, states, names, channels=channels, now=time.time(),
            health_after=self.config.monitor.health_after,
            silence=self.config.monitor.health_silence,
        )  # fmt: skip
        for event in events:
            log.warning("feed health: %s", event.message, extra={"feed": event.url})
        if events and self._engine is not None:
            self._engine.deliverer.wake()

    async def health_problem(self) -> str | None:
        """None while the scheduler runs, every feed has its next poll and the store is
        there, takes writes and answers; else why not (for /healthz and the watchdog)."""
        if self._scheduler is None or not self._scheduler.running or self._stopping:
            return "the scheduler is not running"
        missing = self._feeds.keys() - self._scheduler.scheduled_feeds()
        if missing:  # cannot happen by design; if it ever does, say so rather than go blind
            return f"{len(missing)} feeds have no next poll (one is {min(missing)})"
        if self._rt is None:
            return "the store is not open"
        if self._outage is not None and (outage := self._outage.problem()) is not None:
            return outage
        return await self._selfcheck.store_problem(self._rt.store)

    async def _prune(self) -> None:
        if self._cluster is not None and not self._cluster.leads("assigner"):
            return  # one node prunes: the one whose story window retention shrinks
        if self._rt is not None:
            await prune(
                self._rt.store,
                self._rt.clock() - self.config.monitor.retention,
                configured=[feed.url for feed in self.config.feeds],
            )

    async def _refresh_gauges(self) -> None:
        if self._rt is None or self.metrics is None:
            return
        counts = await report.counts(self._rt.store.db)
        self.metrics.alerts.clear()
        pending = 0
        for channel, by_status in counts.items():
            for status, count in by_status.items():
                self.metrics.alerts.labels(channel, status).set(count)
            pending += by_status.get("pending", 0)
        self.metrics.outbox_depth.set(pending)
        failing = sum(
            1
            for s in self._rt.states.values()
            if (s.error_streak or s.malformed) and s.url in self._feeds
        )
        self.metrics.feeds_failing.set(failing)

    def stop(self) -> None:
        self.stop_event.set()

    def _signalled(self) -> None:
        """SIGTERM/SIGINT: the start cancelled, or the daemon stopped; a second signal
        cancels the polls in flight and the alerts being sent rather than waiting for them
        (``grace_period``, ten seconds)."""
        if self._starting is not None:
            log.info("stopping: cancelling the start")
            self._starting.cancel()
            self._starting = None
        elif self.stop_event.is_set():
            log.warning(
                "second signal: cancelling what is in flight (%d polls, and alerts being sent)",
                len(self._inflight),
            )
            for task in self._inflight:
                task.cancel()
            if self._engine is not None:
                self._engine.hurry()
        self.stop_event.set()

    def _schedule_all(self, feeds: list[FeedConfig]) -> None:
        assert self._rt is not None and self._scheduler is not None
        now = time.time()
        self._feeds = {f.url: f for f in feeds}
        for feed in feeds:
            # A shorter interval than the stored next check's counts from the last check.
            state = self._rt.states[feed.url]
            at = pollstate.due_under(state, self._timing_at_start(feed))
            due = at if at and at > now else None
            # Spread a cold start over a few seconds rather than all feeds at one instant.
            self._scheduler.schedule_feed(feed.url, due or now + self._rng.uniform(0, self._spread))
            if self._cluster is not None and at is not None and at != state.next_check:
                # The cluster's table keeps a known feed's time: brought forward, if sooner.
                self._scheduler.bring_forward(feed.url, max(at, now))

    def _timing(self, feed: FeedConfig) -> Timing:
        """The feed's timing as the scheduler polls it (a pushed feed: its safety-net poll)."""
        assert self._rt is not None
        return self._rt.timing(self.websub.polled_as(feed) if self.websub is not None else feed)

    def _timing_at_start(self, feed: FeedConfig) -> Timing:
        """``_timing`` before the feed's first poll in this process: an adaptive feed's own
        interval is read from its next body, so until then it may be as long as the longest
        (a quiet feed is not polled early at every restart)."""
        assert self._rt is not None
        timing = self._timing(feed)
        m = self.config.monitor
        unread = feed.url not in self._rt.publishing
        if m.schedule == "adaptive" and feed.interval is None and unread:
            return dataclasses.replace(timing, interval=max(timing.interval, m.longest_interval))
        return timing

    async def _poll(self, url: str) -> float:
        """Poll one feed; return when to poll it next (the scheduler puts it back then)."""
        feed = self._feeds.get(url)
        if feed is None or self._stopping or self._rt is None:
            return time.time() + self.config.monitor.interval
        outage = self._outage
        if outage is not None and (later := outage.hold()) is not None:
            return later  # the store refuses writes: polled once it takes them again
        probe = outage is not None and outage.failing
        task = asyncio.current_task()
        assert task is not None
        self._inflight.add(task)
        try:
            polled = self.websub.polled_as(feed) if self.websub is not None else feed
            ok = kept = False
            try:
                outcome = await refresh_feed(self._rt, polled)
                ok, kept = outcome.result != "error", outcome.result == "new"
            finally:
                if outage is not None:
                    outage.polled(probe=probe, ok=ok, kept=kept)
            self._summary.polled(
                url, outcome.result, outcome.new_items, old=outcome.old, alerts=outcome.alerts,
                took=outcome.elapsed, name=feed_name(feed, self._rt.states[url]),
            )  # fmt: skip
            next_check = outcome.next_check
            if self.websub is not None and await self.websub.after_poll(feed, outcome.new_items):
                next_check = time.time() + (feed.interval or self.config.monitor.interval)
            current = self._feeds.get(url)
            if current is not None and current is not feed:  # reloaded during the poll
                now_timing = self._timing(current)
                if now_timing.interval < self._timing(feed).interval:  # only if shorter
                    due = pollstate.due_under(self._rt.states[url], now_timing)
                    if due is not None:
                        next_check = min(next_check, due)
        finally:
            self._inflight.discard(task)
            if self._heap_trim is not None:
                self._heap_trim.poll_done()
        return next_check

    async def _finish_inflight(self) -> None:
        if not self._inflight:
            return
        grace = self.config.monitor.grace_period
        _done, pending = await asyncio.wait(set(self._inflight), timeout=grace)
        if pending:
            log.warning("%d polls still running after %.0fs; cancelling them", len(pending), grace)
            for task in pending:
                task.cancel()
            await asyncio.wait(pending, timeout=5)

    def _reload_soon(self) -> None:
        task = asyncio.get_running_loop().create_task(self.reload())
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def reload(self) -> bool:
        """Re-read the config; keep the old one if the new one is bad. True when applied."""
        if self.config_path is None or self._rt is None or self._scheduler is None:
            return False
        self.notifier.reloading()
        try:
            return await self._reload()
        finally:
            self.notifier.ready()

    async def _reload(self) -> bool:
        assert self._engine is not None and self._scheduler is not None and self.config_path
        try:
            new = config_module.load(self.config_path)
        except ConfigError as exc:
            log.error("reload refused, keeping the running config: %s", exc)
            return False
        if _place(new) != _place(self.config):
            log.error("reload refused: [monitor] database cannot change while running")
            return False
        old_urls = set(self._feeds)
        before = {url: self._timing(feed).interval for url, feed in self._feeds.items()}
        await self._engine.reload(new)
        self.config = new
        if self.websub is not None:
            await self.websub.reload(new)
        for url in old_urls - {f.url for f in new.feeds}:
            self._scheduler.unschedule_feed(url)
        self._summary.forget(old_urls - {f.url for f in new.feeds})
        self._summary.every = period(new.monitor.interval)
        added = [f for f in new.feeds if f.url not in old_urls]
        self._feeds = {f.url: f for f in new.feeds}
        now = time.time()
        for feed in added:
            self._scheduler.schedule_feed(feed.url, now)
        # A kept feed whose interval is now shorter is due sooner (pollstate.due_under).
        timings = {f.url: self._timing(f) for f in new.feeds if f.url in before}
        shorter = [url for url, timing in timings.items() if timing.interval < before[url]]
        states = self._engine.rt.states
        if shorter and self._cluster is not None:  # other nodes' polls: their last checks
            # Read apart: a poll running here holds its own state, which stays as it is.
            states = {s.url: s for s in await feed_store.all_feeds(self._engine.rt.store.db)}
        for url in shorter:
            if url not in states:
                continue
            due = pollstate.due_under(states[url], timings[url])
            if due is not None:
                self._scheduler.bring_forward(url, max(due, now))
        self._scheduler.max_polls = max_polls(new)
        log.info(
            "reloaded the config: %d feeds (%d added, %d removed)",
            len(new.feeds),
            len(added),
            len(old_urls - set(self._feeds)),
        )
        return True


async def run_daemon(config: Config, config_path: Path | None, *, settle_heap: bool = False) -> int:
    """Run the daemon until stopped. ``settle_heap`` tunes the process's garbage collector
    once the engine is open (``monitor.interpreter``): for ``monitor run`` only."""
    daemon = Daemon(config, config_path, settle_heap=settle_heap)
    with contextlib.suppress(asyncio.CancelledError):
        return await daemon.run()
    return 0
