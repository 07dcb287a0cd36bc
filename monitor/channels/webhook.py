"""Webhook: one JSON POST per alert, optionally signed with HMAC-SHA256 (RFC 2104).

The body is ``{"alert": {...}, "text": "..."}``, and for an event's update also
``"new_angles": {"headlines": [...], "more": N}`` (the angles since the last message). With
a ``secret``, the header ``X-Monitor-Signature: sha256=<hex>`` is the HMAC of the exact body
bytes, so a receiver can check who sent it. ``X-Monitor-Alert-Id`` (and the body's
``message_id``) is the message's own id (``updates.message_id``): each message has its own,
and a retry of one carries the same, so a receiver can drop the rare duplicate on it. A
digest's header lists the ids of the messages it holds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, ClassVar
from urllib.parse import urlsplit

import aiohttp

from monitor.channels import Channel
from monitor.channels.config import WebhookChannelConfig
from monitor.channels.http import REDIRECTS, redirect_error
from monitor.channels.mailthread import FIRST_ALERT, THREAD
from monitor.channels.render import plain_text
from monitor.channels.updates import message_id, new_angles
from monitor.errors import ChannelError
from monitor.fetch.failures import client_failure
from monitor.fetch.responses import parse_retry_after
from monitor.models import Alert

SIGNATURE_HEADER = "X-Monitor-Signature"
_CONFIG_STATUSES = frozenset({401, 403, 404, 410})


def alert_json(alert: Alert) -> dict[str, Any]:
    data = asdict(alert)
    data["outlets"], data["terms"] = list(alert.outlets), list(alert.terms)
    # An item without a date of its own: the time it was first seen, not a publication date.
    seen = alert.published.isoformat() if alert.published else None
    del data["undated"]
    data["published"], data["first_seen"] = (None, seen) if alert.undated else (seen, None)
    # The outbox's own record of the angles a more urgent message told (``outbox.told``):
    # not what this message tells.
    data["extra"].pop("told_angles", None)
    data["extra"].pop(FIRST_ALERT, None)  # mail's, to thread an update (``mailthread``)
    data["extra"].pop(THREAD, None)
    return data


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookChannel(Channel):
    type: ClassVar[str] = "webhook"
    digest_max: ClassVar[int] = 100

    def __init__(
        self, name: str, config: WebhookChannelConfig, session: aiohttp.ClientSession
    ) -> None:
        super().__init__(name, config)
        self._url = config.url
        self._secret = config.secret.get_secret_value() if config.secret else None
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=config.timeout)
        # The path or query of a hook URL is often its credential (Slack, Discord): only
        # the host is ever shown.
        parts = urlsplit(config.url)
        self._shown = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/…"

    def __repr__(self) -> str:
        return f"<WebhookChannel {self.name!r} url={self._shown!r}>"

    async def _send(self, alert: Alert) -> str | None:
        payload: dict[str, Any] = {
            "message_id": message_id(alert),
            "alert": alert_json(alert),
            "text": plain_text(alert),
        }
        heads, more = new_angles(alert)
        if heads:  # an event's update: what is new, as data (the text says it in words)
            payload["new_angles"] = {"headlines": heads, "more": more}
        await self._post(payload, payload["message_id"])
        return None

    async def _send_digest(self, alerts: Sequence[Alert]) -> str | None:
        ids = ",".join(message_id(a) for a in alerts)
        payload = {
            "digest": [alert_json(a) for a in alerts],
            "text": "\n\n".join(plain_text(a) for a in alerts),
        }
        await self._post(payload, ids)
        return None

    async def _post(self, payload: dict[str, Any], alert_ids: str) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "X-Monitor-Alert-Id": alert_ids}
        if self._secret:
            headers[SIGNATURE_HEADER] = sign(self._secret, body)
        where = f"webhook {self.name}: {self._shown}"
        failure: str | None = None
        status, retry_after = 0, None
        location: str | None = None
        try:
            async with self._session.post(
                self._url,
                data=body,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,  # see monitor/channels/http.py
            ) as resp:
                status = resp.status
                location = resp.headers.get("Location")
                retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                await resp.read()
        except TimeoutError:
            failure = f"no answer within {self.config.timeout:g}s"
        except aiohttp.ClientError as exc:
            failure = client_failure(exc)  # not its text: that holds the URL, maybe secret
        if failure is not None:
            raise ChannelError(f"{where}: {failure}")
        if 200 <= status < 300:
            return
        if status in REDIRECTS:
            raise redirect_error(where, status, location, self._url)
        # RFC 9110 §15: 408, 425, 429 and 5xx may succeed later; other 4xx will not. Of
        # those, 401, 403, 404 and 410 refuse the address or its credential, not the alert:
        # it waits for the config to be fixed.
        if status in _CONFIG_STATUSES:
            raise ChannelError(
                f"{where}: configuration problem: HTTP {status}; check url and secret",
                config=True,
            )
        transient = status in (408, 425, 429) or status >= 500
        raise ChannelError(
            f"{where}: HTTP {status}",
            permanent=not transient,
            retry_after=retry_after,
            rate_limited=status == 429,  # a 503's Retry-After is a failure's hint
        )
