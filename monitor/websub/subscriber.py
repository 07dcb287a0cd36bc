"""The WebSub subscriber: subscribes the feeds that advertise a hub, keeps the leases
renewed, takes the hubs' pushes through the pipeline, and notices a hub gone silent.

W3C WebSub (https://www.w3.org/TR/websub/). Subscriptions (token, secret, lease) live in
the store, so a restart keeps them live; the secret and the token are never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import Counter
from collections.abc import Callable, Mapping

import aiohttp
from aiohttp import web

from monitor.config import Config, FeedConfig
from monitor.errors import MonitorError, ParseError
from monitor.metrics import Metrics
from monitor.models import ParsedFeed
from monitor.pipeline import Runtime, ingest_pushed
from monitor.store import websub as ws_store
from monitor.store.websub import Subscription
from monitor.websub import silence
from monitor.websub.config import WebSubConfig
from monitor.websub.discover import Discovery, discover
from monitor.websub.hubclient import HubError, request
from monitor.websub.listener import Listener
from monitor.websub.meters import WebSubMeters
from monitor.websub.signature import signature_ok

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
        self._subs: dict[str, Subscription] = {}  # by feed URL
        self._by_token: dict[str, Subscription] = {}
        self._found: dict[str, Discovery] = {}  # discovered, not yet subscribed
        self._refused: Counter[str] = Counter()  # not yet in the store
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self.listener = Listener(config.websub.listen, self._verify, self._push)

    @property
    def settings(self) -> WebSubConfig:
        assert self.config.websub is not None
        return self.config.websub

    def wanted(self, url: str) -> bool:
        feed = self._feed(url)
        return feed is not None and feed.websub

    def _feed(self, url: str) -> FeedConfig | None:
        return next((f for f in self.config.feeds if f.url == url), None)

    # --- life cycle ------------------------------------------------------------------------

    async def start(self) -> int:
        """Load the subscriptions, listen for the hubs, start renewing; return the port."""
        for sub in await ws_store.all_subscriptions(self.rt.store.db):
            self._remember(sub)
        self._sync()
        port = await self.listener.start()
        self._session = aiohttp.ClientSession(
            headers={"User-Agent": self.config.monitor.user_agent}
        )
        self._task = asyncio.get_running_loop().create_task(self._maintain())
        live = sum(1 for s in self._subs.values() if s.state in PUSHED)
        log.info("websub: %d subscriptions, %d live", len(self._subs), live)
        return port

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.listener.stop()
        with contextlib.suppress(MonitorError):
            await self._flush_refusals()
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
        self._sync()

    def _sync(self) -> None:
        for sub in self._subs.values():
            if not self.wanted(sub.feed_url) and sub.state != "unsubscribing":
                sub.state, sub.requested_at = "unsubscribing", None
        self._wake.set()

    def _remember(self, sub: Subscription) -> None:
        self._subs[sub.feed_url] = sub
        self._by_token[sub.token] = sub

    def _forget(self, sub: Subscription) -> None:
        self._subs.pop(sub.feed_url, None)
        self._by_token.pop(sub.token, None)

    # --- what the pipeline and the daemon ask ----------------------------------------------

    def on_parsed(
        self, feed: FeedConfig, headers: Mapping[str, str], parsed: ParsedFeed, url: str
    ) -> None:
        """A poll parsed the feed: subscribe when it advertises a hub we are not using yet."""
        if not feed.websub or not self.wanted(feed.url):
            return
        found = discover(headers, parsed, url)
        sub = self._subs.get(feed.url)
        if found is None or (sub and (sub.hub, sub.topic) == (found.hub, found.topic)):
            return
        self._found[feed.url] = found
        self._wake.set()

    def polled_as(self, feed: FeedConfig) -> FeedConfig:
        """The feed as the scheduler should poll it: a pushed one only as a safety net."""
        sub = self._subs.get(feed.url)
        if sub is None or sub.state not in PUSHED:
            return feed
        usual = feed.interval or self.config.monitor.interval
        return feed.model_copy(update={"interval": max(usual, self.settings.poll_interval)})

    async def after_poll(self, feed: FeedConfig, new_items: int) -> bool:
        """A poll of ``feed`` stored ``new_items``; True when it falls back to polling now."""
        sub = self._subs.get(feed.url)
        if sub is None or not new_items or sub.state not in ("live", "fallback"):
            return False
        now = self.clock()
        if sub.state == "fallback":
            silence.note_new_items(sub, now)
            await self._save(sub)
            return False
        fell_back = silence.poll_found_new(sub, now, new_items, self.settings.poll_interval)
        if fell_back:
            sub.state = "fallback"
            log.warning("websub: %s", sub.reason, extra={"feed": feed.url})
        await self._save(sub)
        return fell_back

    # --- the hubs' callbacks ---------------------------------------------------------------

    async def _verify(self, token: str, query: Mapping[str, str]) -> str | None:
        sub = self._by_token.get(token)
        mode, topic = query.get("hub.mode"), query.get("hub.topic")
        if sub is None or topic != sub.topic:
            self._refuse("unknown_verification")
            return None
        now = self.clock()
        if mode == "denied":  # 5.2: the hub refused the subscription
            sub.state, sub.reason = "denied", f"the hub denied it: {query.get('hub.reason', '')}"
            log.warning("websub: %s", sub.reason, extra={"feed": sub.feed_url})
            await self._save(sub)
            return ""
        challenge = query.get("hub.challenge")
        if not challenge:
            return None
        if mode == "subscribe" and sub.state in ("pending", "live", "fallback"):
            lease = _seconds(query.get("hub.lease_seconds")) or self.settings.lease
            if sub.state == "pending":
                sub.state, sub.reason = "live", None
                log.info("websub: subscribed at %s", sub.hub, extra={"feed": sub.feed_url})
            sub.verified_at, sub.lease_end, sub.last_error = now, now + lease, None
            await self._save(sub)
            self._wake.set()  # the renewal time moved
            return challenge
        if mode == "unsubscribe" and sub.state == "unsubscribing":
            await self._drop(sub)
            log.info("websub: unsubscribed from %s", sub.hub, extra={"feed": sub.feed_url})
            return challenge
        self._refuse("unknown_verification")
        return None

    async def _push(self, token: str, req: web.Request) -> web.Response:
        sub = self._by_token.get(token)
        feed = self._feed(sub.feed_url) if sub is not None else None
        if sub is None or feed is None or sub.state not in ("live", "fallback"):
            self._refuse("unknown")
            # 7: a 410 tells the hub the subscription is gone.
            return web.Response(status=410, text="no such subscription")
        body = await _read_capped(req, self.config.fetch.max_body)
        if body is None:
            self._refuse("too_large")
            return web.Response(status=413, text="body over the size cap")
        if not signature_ok(sub.secret, body, req.headers.get("X-Hub-Signature")):
            # 8: "the subscriber MUST still return a 2xx success response" and ignore it.
            self._refuse("bad_signature")
            log.warning("websub: dropped a push with a bad signature", extra={"feed": feed.url})
            return web.Response(status=202)
        try:
            outcome = await ingest_pushed(self.rt, self.polled_as(feed), body, req.headers)
        except ParseError as exc:
            self._refuse("not_a_feed")
            log.warning("websub: pushed body refused: %s", exc, extra={"feed": feed.url})
            return web.Response(status=400, text="not a feed")
        except MonitorError as exc:  # the store failed: the hub will try again
            log.error("websub: cannot store a push: %s", exc, extra={"feed": feed.url})
            return web.Response(status=503, text="try again later")
        now = self.clock()
        sub.last_push, sub.pushes, sub.misses = now, sub.pushes + 1, 0
        if sub.state == "fallback":
            sub.state, sub.reason = "live", None
            log.info("websub: the hub pushes again", extra={"feed": feed.url})
        if outcome.new_items:
            silence.note_new_items(sub, now)
        self.meters.pushed(feed.url, now)
        await self._save(sub)
        return web.Response(status=204)

    def _refuse(self, reason: str) -> None:
        self._refused[reason] += 1
        self.meters.refused(reason)

    # --- subscribing, renewing, unsubscribing ----------------------------------------------

    async def _maintain(self) -> None:
        while True:
            try:
                due = await self._tick()
            except MonitorError as exc:
                log.error("websub: %s", exc)
                due = self.clock() + RETRY
            self._wake.clear()
            wait = min(max(due - self.clock(), 0.2), MAX_WAIT)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    async def _tick(self) -> float:
        """Send what is due; return when the next thing is due."""
        now = self.clock()
        found, self._found = self._found, {}
        for url, d in found.items():
            if self.wanted(url):
                async with self.rt.store.transaction() as db:
                    sub = await ws_store.add(
                        db, feed_url=url, hub=d.hub, topic=d.topic,
                        token=secrets.token_urlsafe(24), secret=secrets.token_urlsafe(32),
                    )  # fmt: skip
                old = self._subs.get(url)
                if old is not None:
                    self._forget(old)
                self._remember(sub)
        due = now + MAX_WAIT
        for sub in list(self._subs.values()):
            retry_at = (sub.requested_at or 0.0) + RETRY
            if sub.state == "live" and sub.lease_end is not None and sub.lease_end <= now:
                sub.state = "pending"  # the lease ran out unrenewed: polled as usual till verified
            lapsed = sub.lease_end is None or sub.lease_end <= now
            if sub.state == "unsubscribing" and sub.requested_at is not None and lapsed:
                await self._drop(sub)  # asked already, and the hub's side has lapsed anyway
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
        await self._flush_refusals()
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
        await self._save(sub)

    async def _drop(self, sub: Subscription) -> None:
        self._forget(sub)
        async with self.rt.store.transaction() as db:
            await ws_store.delete(db, sub.id)

    @property
    def _http(self) -> aiohttp.ClientSession:
        assert self._session is not None
        return self._session

    async def _save(self, sub: Subscription) -> None:
        if self._subs.get(sub.feed_url) is not sub:
            return  # replaced or forgotten meanwhile
        async with self.rt.store.transaction() as db:
            await ws_store.save(db, sub)

    async def _flush_refusals(self) -> None:
        if not self._refused:
            return
        counts, self._refused = self._refused, Counter()
        async with self.rt.store.transaction() as db:
            await ws_store.count_refusals(db, counts)


async def _read_capped(req: web.Request, cap: int) -> bytes | None:
    """The body, or None when it is over ``cap`` bytes (read no further than that)."""
    if req.content_length is not None and req.content_length > cap:
        return None
    chunks, size = [], 0
    async for chunk in req.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _seconds(value: str | None) -> float | None:
    try:
        seconds = float(value) if value else None
    except ValueError:
        return None
    return seconds if seconds and seconds > 0 else None
