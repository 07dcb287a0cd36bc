"""fetch.responses: what an HTTP response's status and headers say: a sentence for each status,
Retry-After, how long the response stays fresh."""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping
from datetime import UTC

from monitor.configtypes import format_duration
from monitor.errors import FetchError

# Longer than any wait a caller allows (max_backoff, retry_max): a server's hint of more is
# taken as this much, so that it stays a finite number and prints as a short one ("9" * 400
# seconds is infinity, which no duration can be rounded from).
LONGEST_HINT = 10 * 365 * 86400.0

_STATUS_MESSAGES = {
    400: "the server refused the request as malformed (HTTP 400)",
    401: "the feed needs credentials (HTTP 401)",
    403: "access to the feed is forbidden (HTTP 403)",
    404: "the feed was not found (HTTP 404); check its URL",
    405: "the server does not allow GET on this URL (HTTP 405)",
    406: "the server will not serve a feed to us (HTTP 406)",
    408: "the server timed out waiting for the request (HTTP 408)",
    410: "the feed is gone for good (HTTP 410); update or remove it",
    429: "too many requests (HTTP 429); the server asks us to slow down",
    451: "the feed is unavailable for legal reasons (HTTP 451)",
    500: "the server failed (HTTP 500)",
    502: "the server's gateway failed (HTTP 502)",
    503: "the server is unavailable (HTTP 503)",
    504: "the server's gateway timed out (HTTP 504)",
}


def status_error(
    status: int, headers: Mapping[str, str], *, credentials: bool = False
) -> FetchError:
    """The failure an answer other than 200 or 304 means; ``credentials``: the request
    carried the user name and password of the feed's URL (a 401 then refuses them)."""
    message = _STATUS_MESSAGES.get(status)
    if status == 401 and credentials:
        message = "the feed refused the user name and password in its URL (HTTP 401); check them"
    if message is None:
        kind = "server error" if status >= 500 else "unexpected answer"
        message = f"{kind} (HTTP {status})"
    retry_after = parse_retry_after(headers.get("retry-after"))
    if retry_after is not None:
        message += f"; retry after {format_duration(round(retry_after))}"
    return FetchError(message, status=status, retry_after=retry_after)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds from now: delay-seconds or an HTTP-date (RFC 9110 10.2.3).

    The one parser of the header, for feeds and for channels (webhook); None when it says
    nothing usable. Each caller caps the hint at its own longest wait; here it is only kept
    below ``LONGEST_HINT``.
    """
    if not value:
        return None
    value = value.strip()
    # ASCII digits only: str.isdigit also takes "²", which float() refuses.
    if value.isascii() and value.isdigit():
        return min(float(value), LONGEST_HINT)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # "-0000" or no zone: an HTTP-date is always GMT
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, when.timestamp() - (time.time() if now is None else now)), LONGEST_HINT)


_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.I)


def cache_lifetime(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """How long the response says it stays fresh: Cache-Control max-age, else Expires (RFC 9111)."""
    control = headers.get("cache-control", "")
    if "no-cache" in control.lower() or "no-store" in control.lower():
        return None
    m = _MAX_AGE.search(control)
    if m:
        return float(m.group(1))
    expires = headers.get("expires")
    if expires:
        try:
            when = email.utils.parsedate_to_datetime(expires)
        except (TypeError, ValueError):
            return None
        if when is not None and when.tzinfo is not None:
            return max(0.0, when.timestamp() - (time.time() if now is None else now))
    return None
