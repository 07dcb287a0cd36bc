"""The pending alerts of each channel, in figures: what ``monitor status`` explains a wait
with (``outbox.status``)."""

from __future__ import annotations

import json
from collections import Counter
from typing import NamedTuple

from monitor.store.db import Db


class Pending(NamedTuple):
    alerts: int
    next_due: float  # the earliest next_attempt
    retrying: int  # tried and failed at least once
    last_error: str | None  # the error of one of those
    updates: int  # updates of sent messages (they wait out update_delay)
    held: int = 0  # others never tried and due later: a channel's policy held them
    held_until: float = 0.0  # when the first of those is due


async def pending_by_channel(db: Db, now: float = 0.0) -> dict[str, Pending]:
    """Each channel's pending alerts in figures; ``held`` counts those a policy held past
    ``now`` (quiet hours, a digest's window, the storm guard's summary)."""
    # Tried before but held by a policy since: no retry's error (``alerts.postpone_each``).
    later = "(attempts = 0 OR last_error IS NULL) AND kind <> 'update' AND next_attempt > ?"
    rows = await db.fetch_all(
        "SELECT channel, COUNT(*), MIN(next_attempt),"
        " SUM(CASE WHEN attempts > 0 AND last_error IS NOT NULL THEN 1 ELSE 0 END),"
        " MAX(last_error),"
        " SUM(CASE WHEN kind = 'update' THEN 1 ELSE 0 END),"
        f" SUM(CASE WHEN {later} THEN 1 ELSE 0 END),"
        f" MIN(CASE WHEN {later} THEN next_attempt END)"
        " FROM alerts WHERE status = 'pending' GROUP BY channel",
        (now, now),
    )
    return {
        str(channel): Pending(
            int(n),
            float(due),
            int(retrying or 0),
            error,
            int(updates or 0),
            int(held or 0),
            float(until or 0.0),
        )
        for channel, n, due, retrying, error, updates, held, until in rows
    }


async def pending_severities(db: Db) -> dict[str, Counter[str]]:
    """The pending alerts of each channel by severity (quiet hours hold only those below
    the channel's ``quiet_override``)."""
    out: dict[str, Counter[str]] = {}
    for channel, payload in await db.fetch_all(
        "SELECT channel, payload FROM alerts WHERE status = 'pending'"
    ):
        severity = str(json.loads(payload).get("severity") or "normal")
        out.setdefault(str(channel), Counter())[severity] += 1
    return out
