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
    """Whether the channel's hint says when it takes a message again."""
    return hint is not None and math.isfinite(hint) and hint >= HINT_MIN


def retry_delay(
    config: DeliveryConfig,
    hint: float | None,
    attempts: int,
    rng: random.Random,
    rate_limited: bool = False,
) -> float:
    """Seconds before the next try. A rate limit's hint (Telegram ``retry_after``, HTTP 429's
    Retry-After) says when the service takes the message again: that, plus a little jitter (a
    tenth of it, at most a second) so that channels sharing a chat do not all come back at
    once; waiting more only makes the alert late. Another failure's hint (a 503's
    Retry-After) is a floor under ``backoff``, which grows as before: a service down for
    hours that says "1" is not asked every second. Never more than ``retry_max``: ten years
    would park the alert past any expiry."""
    if rate_limited and paused_by(hint):
        assert hint is not None
        return min(hint + rng.uniform(0, min(1.0, hint / 10)), config.retry_max)
    wait = backoff(config, attempts, rng)
    if hint is None or not math.isfinite(hint):
        return wait
    return min(max(wait, hint), config.retry_max)
