"""A WebSub hub for tests (W3C WebSub, https://www.w3.org/TR/websub/), on 127.0.0.1 port 0.

It does what a real hub does, over real sockets: takes subscription requests by form POST
(answers 202 Accepted, section 5.1), verifies the subscriber's intent with a GET carrying
``hub.challenge`` (5.3), keeps verified subscriptions with their leases, and on ``publish``
POSTs the topic's content to every live subscriber, signed ``X-Hub-Signature: sha256=...``
when the subscriber gave a secret (7, 8). It records everything, and misbehaves on request:
``silent`` (takes subscriptions, never pushes), a signing algorithm of the test's choice.

``Outlet`` is a feed on the test feed server that advertises the hub by an HTTP ``Link``
header and by ``<atom:link rel="hub">`` / ``rel="self"`` in the feed (discovery, 4), or,
as a JSON Feed 1.1, by ``"hubs"`` and ``"feed_url"``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

import aiohttp
from aiohttp import web
from feedserver import FeedServer
from standins import serve_app


@dataclass
class Subscription:
    topic: str
    callback: str
    secret: str | None
    lease_seconds: int
    expires: float


@dataclass
class Verification:
    """One intent verification the hub made: what it asked and what the subscriber said."""

    mode: str
    topic: str
    callback: str
    status: int
    echoed: bool


@dataclass
class Delivery:
    callback: str
    status: int
    signature: str | None


@dataclass
class Hub:
    """The hub. ``requests`` are the form POSTs it received, in order."""

    max_lease: int = 10 * 86400
    silent: bool = False  # accepts and verifies subscriptions, then never pushes
    deny: str | None = None  # refuses every subscription with this reason (5.2)
    algorithm: str = "sha256"
    url: str = ""
    requests: list[dict[str, str]] = field(default_factory=list)
    verifications: list[Verification] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    subscriptions: dict[tuple[str, str], Subscription] = field(default_factory=dict)
    _session: aiohttp.ClientSession | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/hub", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.requests.append(form)
        mode, topic, callback = (form.get(f"hub.{k}", "") for k in ("mode", "topic", "callback"))
        if mode not in ("subscribe", "unsubscribe") or not topic or not callback:
            return web.Response(status=400, text="hub.mode, hub.topic and hub.callback needed")
        secret = form.get("hub.secret")
        if secret is not None and len(secret.encode()) >= 200:  # 5.1: less than 200 bytes
            return web.Response(status=400, text="hub.secret too long")
        lease = min(int(form.get("hub.lease_seconds") or self.max_lease), self.max_lease)
        # 5.1: the hub answers 202 at once and verifies intent afterwards.
        task = asyncio.get_running_loop().create_task(
            self._verify(mode, topic, callback, secret, lease)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.Response(status=202)

    async def _verify(
        self, mode: str, topic: str, callback: str, secret: str | None, lease: int
    ) -> None:
        if self.deny is not None:  # 5.2: a GET with hub.mode=denied and hub.reason
            params = {"hub.mode": "denied", "hub.topic": topic, "hub.reason": self.deny}
            async with self.session.get(callback, params=params) as resp:
                self.verifications.append(
                    Verification("denied", topic, callback, resp.status, False)
                )
            return
        _status, echoed = await self.verify_intent(callback, mode=mode, topic=topic, lease=lease)
        if not echoed:
            return
        key = (topic, callback)
        if mode == "subscribe":
            self.subscriptions[key] = Subscription(
                topic, callback, secret, lease, time.time() + lease
            )
        else:
            self.subscriptions.pop(key, None)

    async def verify_intent(
        self, callback: str, *, mode: str, topic: str, lease: int | None = None
    ) -> tuple[int, bool]:
        """5.3: GET the callback with a challenge; (status, whether it echoed the challenge).

        Public so that a test can play a hub that verifies what the subscriber never asked.
        """
        challenge = secrets.token_urlsafe(16)
        params = {"hub.mode": mode, "hub.topic": topic, "hub.challenge": challenge}
        if lease is not None and mode == "subscribe":
            params["hub.lease_seconds"] = str(lease)
        try:
            async with self.session.get(callback, params=params) as resp:
                body = await resp.text()
                status = resp.status
        except aiohttp.ClientError:
            status, body = 0, ""
        echoed = 200 <= status < 300 and body == challenge
        self.verifications.append(Verification(mode, topic, callback, status, echoed))
        return status, echoed

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    def live(self, topic: str | None = None) -> list[Subscription]:
        now = time.time()
        return [
            s
            for s in self.subscriptions.values()
            if s.expires > now and (topic is None or s.topic == topic)
        ]

    async def publish(self, topic: str, body: bytes, content_type: str) -> list[Delivery]:
        """7: POST the new content to every live subscriber of ``topic``, signed."""
        if self.silent:
            return []
        done = []
        for sub in self.live(topic):
            headers = {
                "Content-Type": content_type,
                "Link": f'<{self.url}>; rel="hub", <{topic}>; rel="self"',
            }
            signature = None
            if sub.secret is not None:
                digest = hmac.new(sub.secret.encode(), body, self.algorithm).hexdigest()
                signature = headers["X-Hub-Signature"] = f"{self.algorithm}={digest}"
            try:
                async with self.session.post(sub.callback, data=body, headers=headers) as resp:
                    status = resp.status
            except aiohttp.ClientError:
                status = 0
            delivery = Delivery(sub.callback, status, signature)
            self.deliveries.append(delivery)
            done.append(delivery)
        return done

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._session is not None:
            await self._session.close()


@asynccontextmanager
async def websub_hub(**kwargs: Any) -> AsyncIterator[Hub]:
    hub = Hub(**kwargs)
    async with serve_app(hub.app()) as base:
        hub.url = base + "/hub"
        try:
            yield hub
        finally:
            await hub.close()


async def wait_until(
    predicate: Callable[[], object], within: float = 15.0, what: str = "condition"
) -> None:
    """Poll ``predicate`` until true; generous timeouts: the machine may be loaded."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:.0f}s waiting for {what}")
        await asyncio.sleep(0.05)


@dataclass
class Outlet:
    """An Atom feed on the test feed server that advertises ``hub`` (Link header and in the
    feed); ``publish`` adds an entry, serves the new feed and tells the hub."""

    server: FeedServer
    hub: Hub
    path: str = "/outlet.atom"
    title: str = "Outlet"
    advertise_header: bool = True
    advertise_in_feed: bool = True
    json_feed: bool = False  # JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/), not Atom
    entries: list[tuple[str, str, str]] = field(default_factory=list)  # title, link, summary

    @property
    def url(self) -> str:
        return self.server.url(self.path)

    @property
    def topic(self) -> str:
        return self.url  # the rel="self" URL

    @property
    def content_type(self) -> str:
        return "application/feed+json" if self.json_feed else "application/atom+xml"

    def body(self) -> bytes:
        if self.json_feed:
            return self._json_body()
        links = ""
        if self.advertise_in_feed:
            links = (
                f'<link rel="hub" href="{escape(self.hub.url)}"/>'
                f'<link rel="self" href="{escape(self.topic)}"/>'
            )
        entries = "".join(
            f"<entry><title>{escape(t)}</title><link href='{escape(link)}'/><id>{escape(link)}</id>"
            f"<updated>2025-11-05T09:{i % 60:02d}:00Z</updated><summary>{escape(s)}</summary>"
            "</entry>"
            for i, (t, link, s) in enumerate(reversed(self.entries))
        )
        return (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>{escape(self.title)}</title><id>{escape(self.topic)}</id>"
            f"<updated>2025-11-05T10:00:00Z</updated>{links}{entries}</feed>"
        ).encode()

    def _json_body(self) -> bytes:
        doc: dict[str, Any] = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": self.title,
            "items": [
                {"id": link, "url": link, "title": t, "summary": s,
                 "date_published": f"2025-11-05T09:{i % 60:02d}:00Z"}
                for i, (t, link, s) in enumerate(reversed(self.entries))
            ],
        }  # fmt: skip
        if self.advertise_in_feed:
            doc["feed_url"] = self.topic
            doc["hubs"] = [{"type": "rssCloud", "url": "http://cloud.example/"},
                           {"type": "WebSub", "url": self.hub.url}]  # fmt: skip
        return json.dumps(doc).encode()

    def serve(self) -> None:
        headers = {}
        if self.advertise_header:
            headers["Link"] = f'<{self.hub.url}>; rel="hub", <{self.topic}>; rel="self"'
        self.server.feed(
            self.path, self.body(), content_type=self.content_type, headers=headers
        )

    def add(self, title: str, link: str, summary: str = "") -> None:
        """A new entry on the feed, without telling the hub (as a silent hub would leave it)."""
        self.entries.append((title, link, summary or f"About {title}"))
        self.serve()

    async def publish(self, title: str, link: str, summary: str = "") -> list[Delivery]:
        self.add(title, link, summary)
        return await self.hub.publish(self.topic, self.body(), self.content_type)


def sign(secret: str, body: bytes, algorithm: str = "sha256") -> str:
    """An ``X-Hub-Signature`` value (8)."""
    return f"{algorithm}={hmac.new(secret.encode(), body, getattr(hashlib, algorithm)).hexdigest()}"
