"""What the HTTP channels (telegram, webhook) share: no redirects, and where one pointed.

A channel request carries a credential (the bot token in the path, the webhook's signature
and often its secret path): following a redirect would post it, and the alert, to wherever
the answer points. So channel requests never follow one; a 3xx answer is a delivery error
that names the origin it pointed to (its path may hold a secret too) and is retried, so the
alert waits in the outbox until the address in the config is corrected.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from monitor.errors import ChannelError
from monitor.redact import redact

# RFC 9110 §15.4: the 3xx answers that carry a Location to follow.
REDIRECTS = frozenset({301, 302, 303, 307, 308})


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``, without userinfo, path or query."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}" if parts.netloc else "?"


def redirect_error(where: str, status: int, location: str | None, url: str) -> ChannelError:
    """The error for a 3xx answer to a POST to ``url``: where it pointed, nothing followed."""
    try:
        target = origin(urljoin(url, location)) + "/…" if location else "nowhere (no Location)"
    except ValueError:  # a broken IPv6 host, a port out of range
        target = "an address that is not valid"
    return ChannelError(
        redact(
            f"{where}: configuration problem: redirected (HTTP {status}) to {target}; "
            "channel requests do not follow redirects, so set the final address in the config"
        ),
        config=True,
    )
