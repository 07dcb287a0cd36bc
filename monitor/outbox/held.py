"""outbox.held: a channel whose configuration is at fault (a wrong bot token, a refused
login, a chat the bot was removed from) holds its alerts rather than failing them: the
other channels are told, once, by a health alert (``outbox.worker`` holds and releases)."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.errors import ChannelError
from monitor.outbox.enqueue import enqueue_health
from monitor.store import alerts as rows
from monitor.store.db import Db


async def tell_others(
    db: Db, channel: str, others: Sequence[str], error: ChannelError, now: float
) -> None:
    """Queue, on each of ``others`` (the health channels), a health alert saying ``channel``
    holds its alerts. Its key names the channel's oldest pending alert: the same at every
    start until that alert leaves the outbox, so a ``monitor once`` from cron tells it once."""
    first = await rows.oldest_pending(db, channel)
    title = f"Channel {channel} cannot deliver; its alerts wait in the outbox: {error.message}"
    await enqueue_health(
        db,
        others,
        title=title,
        severity="high",
        extra={"channel": channel, "health": "held"},
        dedup_key=f"health:channel:{channel}:held:{first}",
        now=now,
    )


async def tell_released(db: Db, channel: str, others: Sequence[str], now: float) -> None:
    """Queue, on each of ``others``, the all-clear: ``channel`` delivers again."""
    await enqueue_health(
        db,
        others,
        title=f"Channel {channel} delivers again; the alerts that waited go now",
        severity="normal",
        extra={"channel": channel, "health": "released"},
        dedup_key=f"health:channel:{channel}:released:{int(now)}",
        now=now,
    )
