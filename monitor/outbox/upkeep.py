"""outbox.upkeep: what a delivery worker does to the outbox besides sending: the expiry
sweep, and the follow-up of a message whose story grew while it was being sent."""

from __future__ import annotations

import logging
from dataclasses import replace

from monitor.channels.config import DeliveryConfig
from monitor.configtypes import format_duration
from monitor.errors import MonitorError
from monitor.store import Store
from monitor.store import alerts as rows
from monitor.store.alerts import Due
from monitor.store.db import Db

log = logging.getLogger("monitor.outbox")

SWEEP_MAX = 60.0  # the longest between two expiry sweeps of a channel (seconds)


async def expire(store: Store, channel: str, config: DeliveryConfig, now: float) -> float:
    """Give up the alerts of ``channel`` older than ``expire_after``, due or not (one parked
    behind a paused channel or a far retry expires on time all the same); returns when to
    sweep next: not at every turn of the worker, as it reads every pending alert."""
    limit = config.expire_after
    error = f"expired: not delivered within {format_duration(limit)}"
    try:
        async with store.transaction() as db:
            ids = await rows.expire_overdue(
                db, channel, created_before=now - limit, now=now, error=error
            )
    except MonitorError as exc:
        log.error("outbox %s: %s", channel, exc)
        ids = []
    if ids:
        more = f" and {len(ids) - 20} more" if len(ids) > 20 else ""
        shown = ", ".join(map(str, ids[:20])) + more
        log.error("outbox %s: %d alert(s) %s: %s", channel, len(ids), error, shown)
    return now + min(SWEEP_MAX, limit / 10)


async def follow_up(db: Db, due: Due, external_id: str | None, now: float) -> None:
    """The story grew while its alert was being sent: queue an update of the message."""
    if external_id is None or due.alert.kind not in ("new", "burst"):
        return
    current = await rows.current(db, due.alert.id)
    if current is None or current[0] == due.payload:
        return
    fresh = rows.load_alert((due.alert.id, due.alert.channel, due.alert.kind, current[0]))
    update = replace(fresh, kind="update", extra={**fresh.extra, "of_kind": fresh.kind})
    await rows.upsert_update(
        db, update, dedup_key=f"update:{fresh.id}", external_id=external_id, now=now, due=now
    )
