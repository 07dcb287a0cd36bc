"""Requests to a hub: subscribe and unsubscribe (W3C WebSub 5.1,
https://www.w3.org/TR/websub/#subscriber-sends-subscription-request)."""

from __future__ import annotations

import aiohttp

from monitor.errors import MonitorError

TIMEOUT = aiohttp.ClientTimeout(total=30, connect=10)


class HubError(MonitorError):
    """A hub refused a request or could not be reached; the message names the hub."""


async def request(
    session: aiohttp.ClientSession,
    hub: str,
    *,
    mode: str,
    topic: str,
    callback: str,
    lease: float | None = None,
    secret: str | None = None,
) -> None:
    """POST the form to the hub; it answers 202 and then verifies intent at ``callback``."""
    form = {"hub.mode": mode, "hub.topic": topic, "hub.callback": callback}
    if lease is not None:
        form["hub.lease_seconds"] = str(int(lease))
    if secret is not None:
        form["hub.secret"] = secret
    try:
        async with session.post(hub, data=form, timeout=TIMEOUT, allow_redirects=False) as resp:
            if not 200 <= resp.status < 300:
                text = (await resp.text(errors="replace"))[:160].strip()
                for private in (secret, callback):  # a hub may echo the form back
                    if private:
                        text = text.replace(private, "***")
                raise HubError(f"websub: the hub {hub} answered {resp.status} to {mode}: {text}")
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise HubError(
            f"websub: cannot reach the hub {hub} ({exc.__class__.__name__}: {exc})"
        ) from None
