"""The whole pipeline, opened once: store, fetcher, stories and rules, outbox delivery.

``monitor run``, ``once``, ``replay`` and ``demo`` all run the same ``Engine``; they differ
only in what drives the polls (the scheduler, one pass, a replay clock).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import aiohttp

from monitor.channels import build_channels
from monitor.config import Config
from monitor.fetch import Fetcher, FetchLimits
from monitor.outbox import Deliverer
from monitor.outbox.per_event import follow_rules
from monitor.queued import file_queued
from monitor.runtime import Runtime
from monitor.stages import Stages
from monitor.store import Store, event_alerts
from monitor.store import feeds as feed_store
from monitor.store.feeds import StateWrites

if TYPE_CHECKING:
    from monitor.metrics import Metrics  # prometheus_client: only when metrics are served

log = logging.getLogger("monitor.engine")


def _channel_session(config: Config) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(headers={"User-Agent": config.monitor.user_agent})


def fetch_limits(config: Config) -> FetchLimits:
    f = config.fetch
    return FetchLimits(
        timeout=f.timeout,
        connect_timeout=f.connect_timeout,
        read_timeout=f.read_timeout,
        max_body=f.max_body,
        max_redirects=f.max_redirects,
        concurrency=f.concurrency,
        per_host=f.per_host,
    )


def per_host_share(limit: int, nodes: int) -> int:
    """One node's share of a per-host limit that ``nodes`` nodes hold together: rounded up,
    so the limit holds across them to within one request per node and no host is starved."""
    return max(1, math.ceil(limit / max(1, nodes)))


def max_polls(config: Config) -> int:
    """How many polls may run at once: enough to keep the fetch slots busy while others
    parse, wait for the writer or wait for a slow host's own slots (a host with hundreds of
    feeds must not hold every poll), few enough that a cold start of thousands of feeds
    does not make a task for each."""
    return 4 * config.fetch.concurrency


class Engine:
    def __init__(
        self,
        rt: Runtime,
        stages: Stages,
        deliverer: Deliverer,
        session: aiohttp.ClientSession,
    ) -> None:
        self.rt = rt
        self.stages = stages
        self.deliverer = deliverer
        self._session = session
        self._stop = asyncio.Event()
        self._hurried = False  # a second signal: the stop waits for no send in flight
        self._delivery: asyncio.Task[None] | None = None
        self._nodes = 1  # nodes sharing the feeds (share_hosts)
        # Fetchers a reload replaced, each closing once its polls are done.
        self._retiring: dict[asyncio.Task[None], Fetcher] = {}

    @property
    def config(self) -> Config:
        return self.rt.config

    @property
    def store(self) -> Store:
        return self.rt.store

    @classmethod
    async def open(
        cls,
        config: Config,
        *,
        clock: Callable[[], float] = time.time,
        metrics: Metrics | None = None,
        lazy_window: bool = False,
    ) -> Engine:
        """Open the store, sync the feeds, rebuild the story window (with ``lazy_window``,
        before the first new item: ``Stages.build``), connect the channels."""
        store = await Store.open(config.database_location)
        session: aiohttp.ClientSession | None = None
        try:
            async with store.transaction() as db:
                states = await feed_store.sync_feeds(db, [f.url for f in config.feeds])
                # The rules may have changed while no monitor ran: the alerts that wait name
                # only the rules there now, at their severities, as after a reload.
                severities = {r.name: r.severity for r in config.rules}
                await follow_rules(db, severities, now=clock())
                await event_alerts.file_unfiled(db)  # written by the version before, if any
            stages = await Stages.build(config, store, lazy=lazy_window)
            stages.metrics = metrics
            fetcher = Fetcher(fetch_limits(config), config.monitor.user_agent)
            session = _channel_session(config)
            channels = build_channels(config.channels, session)  # may refuse a channel
            deliverer = Deliverer(
                store, channels, clock=clock, health_channels=config.monitor.health_channels
            )
            deliverer.name_rules([r.name for r in config.rules])
            if metrics is not None:
                deliverer.observe_sent(metrics.alert_sent)
            # Items a copy of a cluster's store brought queued for its assigner (SQLite only).
            await file_queued(store, stages, config.feeds, clock())
        except BaseException:  # nothing left open behind the error
            if session is not None:
                await session.close()
            await store.close()
            raise
        rt = Runtime(
            config=config,
            store=store,
            fetcher=fetcher,
            states=states,
            stages=stages,
            deliverer=deliverer,
            body_slots=asyncio.Semaphore(config.fetch.bodies_in_flight),
            clock=clock,
            metrics=metrics,
            state_writes=StateWrites(store),
        )
        return cls(rt, stages, deliverer, session)

    async def reload(self, config: Config) -> None:
        """Apply a new (already validated) config: feeds, rules, channels, settings."""
        async with self.store.transaction() as db:
            states = await feed_store.sync_feeds(db, [f.url for f in config.feeds])
        for url, state in states.items():
            # Polls in flight hold the live state objects: keep them, add only new feeds.
            self.rt.states.setdefault(url, state)
        for url in {f.url for f in self.rt.config.feeds} - states.keys():
            # A feed gone from the config: its last body is not read again (if it comes
            # back, its first poll reads every item, as after a restart).
            if (gone := self.rt.states.get(url)) is not None:
                self.rt.memory.forget(gone.id)
        self.stages.recompile(config)
        old = self.rt.config
        if config.rules != old.rules:
            # The alerts that wait name only the rules still there, at their severities.
            severities = {r.name: r.severity for r in config.rules}
            async with self.store.transaction() as db:
                await follow_rules(db, severities, now=self.rt.clock())
            self.deliverer.name_rules([r.name for r in config.rules])
        if config.fetch.bodies_in_flight != old.fetch.bodies_in_flight:
            # Polls holding a slot release it to the old semaphore; new polls take the new one.
            self.rt.body_slots = asyncio.Semaphore(config.fetch.bodies_in_flight)
        agent_changed = config.monitor.user_agent != old.monitor.user_agent
        if agent_changed or self._limits(config) != self.rt.fetcher.limits:
            self._replace_fetcher(config)
        self.rt.config = config
        if config.channels != old.channels or agent_changed:
            # Alerts in flight finish on the old channels; the new ones take the outbox from here.
            running = self._delivery is not None
            await self._stop_delivery()
            if agent_changed:
                await self._session.close()
                self._session = _channel_session(config)
            self.deliverer = Deliverer(
                self.store, build_channels(config.channels, self._session), clock=self.rt.clock,
                health_channels=config.monitor.health_channels,
            )  # fmt: skip
            if self.rt.metrics is not None:
                self.deliverer.observe_sent(self.rt.metrics.alert_sent)
            self.deliverer.name_rules([r.name for r in config.rules])
            self.rt.deliverer = self.deliverer
            if running:
                self.start_delivery()
        elif self._delivery is not None:
            # The same channels: what held alerts for a channel's configuration may have been
            # fixed outside the config (the bot added back to its chat), so they are tried now.
            await self.deliverer.release_held()

    def share_hosts(self, nodes: int) -> None:
        """``nodes`` nodes poll the same feeds: this one takes its share of the per-host limit."""
        self._nodes = max(1, nodes)
        if self._limits(self.config) != self.rt.fetcher.limits:
            self._replace_fetcher(self.config)

    def _limits(self, config: Config) -> FetchLimits:
        limits = fetch_limits(config)
        return dataclasses.replace(limits, per_host=per_host_share(limits.per_host, self._nodes))

    def _replace_fetcher(self, config: Config) -> None:
        # Polls in flight finish on the old fetcher (its limits, its session); new polls
        # take the new one.
        retired, self.rt.fetcher = (
            self.rt.fetcher,
            Fetcher(self._limits(config), config.monitor.user_agent),
        )
        task = asyncio.get_running_loop().create_task(retired.close_when_idle())
        self._retiring[task] = retired
        task.add_done_callback(self._retiring.pop)

    def start_delivery(self) -> None:
        """Deliver what the outbox holds (and what comes) until ``close``."""
        if self._delivery is None:
            self._delivery = self.deliverer.start(self._stop)

    async def drain(
        self,
        timeout: float,  # noqa: ASYNC109 (the outbox's own API)
        *,
        updates: bool = False,
    ) -> bool:
        """Wait until nothing is due in the outbox, at most ``timeout`` seconds; with
        ``updates``, the updates held to coalesce go now too."""
        return await self.deliverer.drain(timeout, updates=updates)

    async def stop_delivery(self) -> None:
        """Stop delivering (alerts in flight finish); ``start_delivery`` resumes."""
        await self._stop_delivery()

    def hurry(self) -> None:
        """The alerts in flight are not waited for: a stop under way (``close``) cancels
        them now rather than in ten seconds (a second SIGINT/SIGTERM), and so does one that
        starts later (the second signal came while the polls' grace period ran)."""
        self._hurried = True
        if self._delivery is not None and self._stop.is_set():
            self._delivery.cancel()

    async def _stop_delivery(self) -> None:
        self._stop.set()
        delivery = self._delivery
        try:
            if delivery is not None:
                if self._hurried:
                    delivery.cancel()
                await _stopped(delivery)
        finally:
            self._delivery = None
            self._stop = asyncio.Event()

    async def close(self) -> None:
        await self._stop_delivery()
        try:
            if self.rt.state_writes is not None:
                await self.rt.state_writes.close()
            for task, retired in list(self._retiring.items()):
                task.cancel()  # the polls they served are over by now
                await retired.close()
            await self.rt.fetcher.close()
            await self._session.close()
        finally:
            self.rt.parse_threads.close()
            await self.rt.store.close()


async def _stopped(delivery: asyncio.Task[None]) -> None:
    """Alerts in flight get ten seconds to finish, then the delivery is cancelled. A cancel of
    the caller itself is passed on, not swallowed with the delivery's."""
    try:
        async with asyncio.timeout(10):
            await delivery
    except (TimeoutError, asyncio.CancelledError):
        delivery.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await delivery
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
