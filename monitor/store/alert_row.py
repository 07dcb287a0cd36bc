"""An alert's row as it is read: its statuses, its columns, and the ``Due`` a channel's
worker sees (the alert as it goes out, its story's or event's growth folded in)."""

from __future__ import annotations

from dataclasses import dataclass

from monitor.models import Alert
from monitor.store.db import Row
from monitor.store.payload import folded, load_alert

PENDING, SENT, FAILED, EXPIRED, FOLDED = "pending", "sent", "failed", "expired", "folded"
# An update never sent: a more urgent message told its growth (``outbox.told``).
TOLD = "told"


@dataclass(slots=True)
class Due:
    """A pending alert as the delivery worker sees it."""

    alert: Alert
    payload: str  # as read, to tell whether it changed while it was being sent
    attempts: int
    created_at: float
    next_attempt: float
    external_id: str | None
    stored: str = ""  # the payload column as read, without growth (``store.alerts.postpone``)


ALERT_COLUMNS = "id, channel, kind, payload, attempts, created_at, next_attempt, external_id"
# The same, of ``alerts a`` (in a join).
ALERT_COLUMNS_OF_A = ", ".join("a." + c for c in ALERT_COLUMNS.split(", "))
# An alert as it goes out: ``ALERT_COLUMNS`` of ``alerts a``, then the growth of its story or
# event since it was queued (NULLs without one; ``store.growth``), read by ``load_due``.
AS_SENT = (
    f"SELECT {ALERT_COLUMNS_OF_A}, g.outlets, g.told{{more}}"
    " FROM alerts a LEFT JOIN alert_growth g ON g.owner = a.growth"
)
AS_SENT_ONLY = AS_SENT.format(more="")


def load_due(row: Row) -> Due:
    """The Due of a row of ``AS_SENT`` (``ALERT_COLUMNS``, then the growth it shows)."""
    alert, payload = folded(load_alert(row), row[3], row[8], row[9])
    return Due(alert, payload, int(row[4]), float(row[5]), float(row[6]), row[7], str(row[3]))
