"""What the hubs call: intent verification (GET) and content distribution (POST).

W3C WebSub 5.3 and 7-8 (https://www.w3.org/TR/websub/). Only a subscription we asked for
is confirmed; a push counts only when it names a live subscription, fits the size cap and
carries the right signature. Every refusal is counted by reason.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from aiohttp import web

from monitor.errors import MonitorError, ParseError
from monitor.pipeline import ingest_pushed
from monitor.websub import silence
from monitor.websub.signature import signature_ok

if TYPE_CHECKING:
    from monitor.websub.subscriber import WebSub

log = logging.getLogger("monitor.websub")


class Callbacks:
    def __init__(self, ws: WebSub) -> None:
        self.ws = ws

    def _refuse(self, reason: str) -> None:
        self.ws.registry.refuse(reason)
        self.ws.meters.refused(reason)

    async def verify(self, token: str, query: Mapping[str, str]) -> str | None:
        """The challenge to echo, or None (404) when we did not ask for this."""
        sub = self.ws.registry.by_token.get(token)
        mode, topic = query.get("hub.mode"), query.get("hub.topic")
        if sub is None or topic != sub.topic:
            self._refuse("unknown_verification")
            return None
        now = self.ws.clock()
        if mode == "denied":  # 5.2: the hub refused the subscription
            sub.state, sub.reason = "denied", f"the hub denied it: {query.get('hub.reason', '')}"
            log.warning("websub: %s", sub.reason, extra={"feed": sub.feed_url})
            await self.ws.registry.save(sub)
            return ""
        challenge = query.get("hub.challenge")
        if challenge and mode == "subscribe" and sub.state in ("pending", "live", "fallback"):
            lease = _seconds(query.get("hub.lease_seconds")) or self.ws.settings.lease
            if sub.state == "pending":
                sub.state, sub.reason = "live", None
                log.info("websub: subscribed at %s", sub.hub, extra={"feed": sub.feed_url})
            sub.verified_at, sub.lease_end, sub.last_error = now, now + lease, None
            await self.ws.registry.save(sub)
            self.ws.wake()  # the renewal time moved
            return challenge
        if challenge and mode == "unsubscribe" and sub.state == "unsubscribing":
            await self.ws.registry.drop(sub)
            log.info("websub: unsubscribed from %s", sub.hub, extra={"feed": sub.feed_url})
            return challenge
        self._refuse("unknown_verification")
        return None

    async def push(self, token: str, req: web.Request) -> web.Response:
        sub = self.ws.registry.by_token.get(token)
        feed = self.ws.feed(sub.feed_url) if sub is not None else None
        if sub is None or feed is None or sub.state not in ("live", "fallback"):
            self._refuse("unknown")
            # 7: a 410 Gone tells the hub the subscription is over.
            return web.Response(status=410, text="no such subscription")
        body = await _read_capped(req, self.ws.config.fetch.max_body)
        if body is None:
            self._refuse("too_large")
            return web.Response(status=413, text="body over the size cap")
        if not signature_ok(sub.secret, body, req.headers.get("X-Hub-Signature")):
            # 8: the subscriber "MUST still return a 2xx success response", and ignores it.
            self._refuse("bad_signature")
            log.warning("websub: dropped a push with a bad signature", extra={"feed": feed.url})
            return web.Response(status=202)
        try:
            outcome = await ingest_pushed(self.ws.rt, self.ws.polled_as(feed), body, req.headers)
        except ParseError as exc:
            self._refuse("not_a_feed")
            log.warning("websub: pushed body refused: %s", exc, extra={"feed": feed.url})
            return web.Response(status=400, text="not a feed")
        except MonitorError as exc:  # the store failed: the hub will try again
            log.error("websub: cannot store a push: %s", exc, extra={"feed": feed.url})
            return web.Response(status=503, text="try again later")
        now = self.ws.clock()
        sub.last_push, sub.pushes, sub.misses = now, sub.pushes + 1, 0
        if sub.state == "fallback":
            sub.state, sub.reason = "live", None
            log.info("websub: the hub pushes again", extra={"feed": feed.url})
        if outcome.new_items:
            silence.note_new_items(sub, now)
        self.ws.meters.pushed(feed.url, now)
        if self.ws.on_pushed is not None:
            self.ws.on_pushed(outcome)
        await self.ws.registry.save(sub)
        return web.Response(status=204)


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
