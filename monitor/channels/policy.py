"""When a channel may deliver: its rate limit, its quiet hours, the backoff between retries."""

from __future__ import annotations

import asyncio
import math
import random
import time
from datetime import datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from monitor.channels.config import SEVERITY_ORDER, DeliveryConfig


class RateLimiter:
    """At most ``count`` calls per ``period`` seconds, evenly spaced.

    Even spacing rather than a burst allowance: Telegram counts "about one message a second"
    in a chat and 20 a minute in a group (https://core.telegram.org/bots/faq), and a burst
    of 20 would trip the first rule. Uses the monotonic clock: it paces real sends.
    """

    def __init__(self, rate: tuple[int, float] | None) -> None:
        self.interval = rate[1] / rate[0] if rate else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        if self.interval <= 0:
            return
        async with self._lock:
            now = time.monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
                now = time.monotonic()
            self._next = max(now, self._next) + self.interval

    def block_for(self, seconds: float) -> None:
        """The service asked for a pause (Telegram 429 retry_after): nothing before it ends."""
        self._next = max(self._next, time.monotonic() + seconds)


def quiet_until(config: DeliveryConfig, now: float, severity: str) -> float | None:
    """The end of the quiet hours ``now`` falls in, or None when the alert may go now."""
    span = config.quiet_hours
    if span is None or SEVERITY_ORDER.get(severity, 1) >= SEVERITY_ORDER[config.quiet_override]:
        return None
    zone = ZoneInfo(config.timezone)
    local = datetime.fromtimestamp(now, zone)
    start, end = span
    t = local.time()
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    end_day = local.date() if t < end else local.date() + timedelta(days=1)
    until = datetime.combine(end_day, dtime(end.hour, end.minute), zone)
    return until.timestamp()


def backoff(config: DeliveryConfig, attempts: int, rng: random.Random) -> float:
    """Seconds before try ``attempts + 1``: exponential from ``retry_initial`` to
    ``retry_max``, with "equal jitter" (half fixed, half random) so that many alerts that
    failed together do not all come back at the same instant."""
    base = min(config.retry_max, config.retry_initial * 2 ** max(0, attempts - 1))
    return float(base / 2 + rng.uniform(0, base / 2))


# The shortest hint taken as one: Telegram's retry_after and HTTP's Retry-After (RFC 9110
# §10.2.3) count whole seconds, so less is no hint; said again and again (0 s, 0.001 s), it
# would retry in a tight loop.
HINT_MIN = 1.0


def paused_by(hint: float | None) -> bool:
    """Whether the channel's hint says when it takes a message again (a rate limit)."""
    return hint is not None and math.isfinite(hint) and hint >= HINT_MIN


def retry_delay(
    config: DeliveryConfig, hint: float | None, attempts: int, rng: random.Random
) -> float:
    """Seconds before the next try: the channel's own hint (Telegram ``retry_after``, a
    webhook's Retry-After) when it gives one, plus a little jitter (a tenth of it, at most a
    second) so that channels sharing a chat do not all come back at once; else ``backoff``.
    A hint says when the service takes the message again: waiting more only makes the alert
    late. Never more than ``retry_max``: ten years would park the alert past any expiry."""
    if hint is None or not paused_by(hint):
        return backoff(config, attempts, rng)
    return min(hint + rng.uniform(0, min(1.0, hint / 10)), config.retry_max)
