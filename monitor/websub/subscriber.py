"""The WebSub subscriber: subscribes the feeds that advertise a hub, keeps the leases
renewed, unsubscribes the feeds that left the config, and notices a hub gone silent; its
``Callbacks`` take the hubs' verifications and pushes.

W3C WebSub (https://www.w3.org/TR/websub/). Subscriptions (token, secret, lease) live in
the store, so a restart keeps them live; the secret and the token are never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping

import aiohttp

from monitor.config import Config, FeedConfig
from monitor.errors import MonitorError
from monitor.metrics import Metrics
from monitor.models import ParsedFeed
from monitor.pipeline import PollOutcome, Runtime
from monitor.store.websub import Subscription
from monitor.waits import wait_event
from monitor.websub import silence
from monitor.websub.callbacks import Callbacks
from monitor.websub.config import WebSubConfig
from monitor.websub.discover import Discovery, discover
from monitor.websub.hubclient import HubError, request
from monitor.websub.listener import Listener
from monitor.websub.meters import WebSubMeters
from monitor.websub.registry import Registry

log = logging.getLogger("monitor.websub")
RETRY = 300.0  # seconds before a request the hub did not verify (or refused) is sent again
MAX_WAIT = 60.0  # the longest sleep of the maintenance loop
PUSHED = ("live",)  # states in which the hub pushes and the feed is only polled as a safety net


class WebSub:
    """One daemon's subscriptions. ``start`` after the engine opened, ``stop`` before it closes."""

    def __init__(
        self,
        config: Config,
        rt: Runtime,
        *,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        assert config.websub is not None
        self.config = config
        self.rt = rt
        self.clock = clock
        self.meters = WebSubMeters(metrics)
        # Told of each push stored, with what it brought (the daemon's summary in the log).
        self.on_pushed: Callable[[PollOutcome], None] | None = None
        self.registry = Registry(rt.store)
        self._feeds = {f.url: f for f in config.feeds}
        self._found: dict[str, Discovery] = {}  # discovered, not yet subscribed
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        callbacks = Callbacks(self)
        self.listener = Listener(config.websub.listen, callbacks.verify, callbacks.push)

    @property
    def settings(self) -> WebSubConfig:
        assert self.config.websub is not None
        return self.config.websub

    def feed(self, url: str) -> FeedConfig | None:
        return self._feeds.get(url)

    def wanted(self, url: str) -> bool:
        feed = self._feeds.get(url)
        return feed is not None and feed.websub

    def wake(self) -> None:
        """Look at what is due now (a lease moved, a hub was found)."""
        self._wake.set()

    # --- life cycle ------------------------------------------------------------------------

    async def start(self) -> int:
        """Load the subscriptions, listen for the hubs, start renewing; return the port."""
        await self.registry.load()
        self._sync()
        port = await self.listener.start()
        self._session = aiohttp.ClientSession(
            headers={"User-Agent": self.config.monitor.user_agent}
        )
        self._task = asyncio.get_running_loop().create_task(self._maintain())
        subs = self.registry.by_feed.values()
        live = sum(1 for s in subs if s.state in PUSHED)
        log.info("websub: %d subscriptions, %d live", len(subs), live)
        return port

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.listener.stop()
        with contextlib.suppress(MonitorError):
            await self.registry.flush_refusals()
        if self._session is not None:
            await self._session.close()

    async def reload(self, config: Config) -> None:
        """A new config: feeds that left it (or opted out) are unsubscribed."""
        if config.websub is None:
            log.warning("websub: [websub] removed; it stays on until the daemon restarts")
            return
        if config.websub.listen != self.settings.listen:
            log.warning("websub: a new listen address takes effect at the next restart")
        self.config = config
        self._feeds = {f.url: f for f in config.feeds}
        self._sync()

    def _sync(self) -> None:
        for sub in self.registry.by_feed.values():
            if not self.wanted(sub.feed_url) and sub.state != "unsubscribing":
                sub.state, sub.requested_at = "unsubscribing", None
        self._wake.set()

    # --- what the pipeline and the daemon ask ----------------------------------------------

    def on_parsed(
        self, feed: FeedConfig, headers: Mapping[str, str], parsed: ParsedFeed, url: str
    ) -> None:
        """A poll parsed the feed: subscribe when it advertises a hub we are not using yet."""
        if not feed.websub or not self.wanted(feed.url):
            return
        found = discover(headers, parsed, url)
        sub = self.registry.by_feed.get(feed.url)
        if found is None or (sub and (sub.hub, sub.topic) == (found.hub, found.topic)):
            return
        self._found[feed.url] = found
        self._wake.set()

    def polled_as(self, feed: FeedConfig) -> FeedConfig:
        """The feed as the scheduler should poll it: a pushed one only as a safety net."""
        sub = self.registry.by_feed.get(feed.url)
        if sub is None or sub.state not in PUSHED:
            return feed
        usual = feed.interval or self.config.monitor.interval
        return feed.model_copy(update={"interval": max(usual, self.settings.poll_interval)})

    async def after_poll(self, feed: FeedConfig, new_items: int) -> bool:
        """A poll of ``feed`` stored ``new_items``; True when it falls back to polling now."""
        sub = self.registry.by_feed.get(feed.url)
        if sub is None or not new_items or sub.state not in ("live", "fallback"):
            return False
        now = self.clock()
        if sub.state == "fallback":
            silence.note_new_items(sub, now)
            await self.registry.save(sub)
            return False
        fell_back = silence.poll_found_new(sub, now, new_items, self.settings.poll_interval)
        if fell_back:
            sub.state = "fallback"
            log.warning("websub: %s", sub.reason, extra={"feed": feed.url})
        await self.registry.save(sub)
        return fell_back

    # --- subscribing, renewing, unsubscribing ----------------------------------------------

    async def _maintain(self) -> None:
        while True:
            try:
                due = await self._tick()
            except MonitorError as exc:
                log.error("websub: %s", exc)
                due = self.clock() + RETRY
            except Exception:  # a bug of ours must not end renewals for good
                log.exception("websub: unexpected error; trying again later")
                due = self.clock() + RETRY
            self._wake.clear()
            wait = min(max(due - self.clock(), 0.2), MAX_WAIT)
            await wait_event(self._wake, wait)

    async def _tick(self) -> float:
        """Send what is due; return when the next thing is due."""
        now = self.clock()
        found, self._found = self._found, {}
        for url, d in found.items():
            if self.wanted(url):
                await self.registry.add(url, d)
        due = now + MAX_WAIT
        for sub in list(self.registry.by_feed.values()):
            retry_at = (sub.requested_at or 0.0) + RETRY
            if sub.state == "live" and sub.lease_end is not None and sub.lease_end <= now:
                sub.state = "pending"  # the lease ran out unrenewed: polled as usual till verified
            lapsed = sub.lease_end is None or sub.lease_end <= now
            if sub.state == "unsubscribing" and sub.requested_at is not None and lapsed:
                await self.registry.drop(sub)  # asked already, and the hub's side has lapsed anyway
                continue
            if sub.state in ("pending", "unsubscribing"):
                if sub.requested_at is None or now >= retry_at:
                    await self._ask(sub, now)
                    retry_at = now + RETRY
                due = min(due, retry_at)
            elif sub.state in ("live", "fallback"):
                renew = silence.renew_at(sub)
                asked = sub.requested_at is not None and sub.requested_at > (sub.verified_at or 0)
                if renew is not None and now >= renew and (not asked or now >= retry_at):
                    await self._ask(sub, now)
                    retry_at = now + RETRY
                if renew is not None:
                    due = min(due, retry_at if now >= renew else renew)
        await self.registry.flush_refusals()
        return due

    async def _ask(self, sub: Subscription, now: float) -> None:
        mode = "unsubscribe" if sub.state == "unsubscribing" else "subscribe"
        sub.requested_at = now
        try:
            await request(
                self._http, sub.hub, mode=mode, topic=sub.topic,
                callback=f"{self.settings.callback_url}/{sub.token}",
                lease=self.settings.lease if mode == "subscribe" else None,
                secret=sub.secret if mode == "subscribe" else None,
            )  # fmt: skip
            sub.last_error = None
        except HubError as exc:
            sub.last_error = str(exc)
            log.warning("%s", exc, extra={"feed": sub.feed_url})
        await self.registry.save(sub)

    @property
    def _http(self) -> aiohttp.ClientSession:
        assert self._session is not None
        return self._session
