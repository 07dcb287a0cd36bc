"""Which channels hold a "new" alert of an event (a story) already, whatever rule raised it,
and how: a second rule that matches it adds no message of its own (``outbox.per_event``)
but is folded into the one that waits, or gets through where it is more urgent than the
one sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.models import Alert
from monitor.store.batch import in_lists
from monitor.store.db import Db, Row
from monitor.store.payload import dump_payload, load_alert

SEVERITY = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


def rank(severity: str) -> int:
    """A severity's place in order (an unknown one counts as "normal")."""
    return SEVERITY.get(severity, 1)


# The alerts per event not filed under their story's event: written by a node of the version
# before m017 (still running in a rolling upgrade of a cluster, or after a downgrade), which
# leaves ``event_id`` empty. Filed by each rebuild of the windows (``stages``), which a node
# elected assigner does before its first decision; no row matches once every node is upgraded.
_FILE_UNFILED = (
    "UPDATE alerts SET event_id = (SELECT s.event_id FROM stories s WHERE s.id = alerts.story_id)"
    " WHERE event_id IS NULL AND story_id IS NOT NULL"
    " AND (dedup_key LIKE 'event:%' OR dedup_key LIKE 'burst:event:%')"
)


async def file_unfiled(db: Db) -> None:
    """File the alerts per event that a node of the version before wrote without their event."""
    await db.execute(_FILE_UNFILED)


@dataclass(slots=True)
class Holding:
    """A channel's "new" alerts of one event (story): the first that waits, if any, and the
    highest severity of those sent."""

    pending: Alert | None = None
    sent: str | None = None


_COLUMNS = "a.id, a.channel, a.kind, a.payload, a.status"
# The alerts per event filed under events (``{marks}``: an ``in_lists`` placeholder list),
# through alerts_event: a few rows, not the outbox. Each is under its story's event
# (``alerts.event_id``, kept as the story moves); one whose story retention deleted is no
# longer of any event, as when its event was found through its story.
OF_EVENTS = (
    "FROM alerts a INDEXED BY alerts_event WHERE a.event_id IN ({marks}) AND a.story_id IS NOT NULL"
)


async def alerted(db: Db, places: Sequence[tuple[str, int]]) -> dict[tuple[str, int], Holding]:
    """The ``(channel, event id)`` of ``places`` whose channel holds a "new" alert per event
    (pending or sent) about one of the event's stories, of any rule, with what it holds.
    Found under the event (``alerts_event``): a few rows, not the outbox."""
    found: dict[tuple[str, int], Holding] = {}
    for marks, params in in_lists(sorted({event for _, event in places})):
        rows = await db.fetch_all(
            f"SELECT {_COLUMNS}, a.event_id {OF_EVENTS.format(marks=marks)} AND a.kind = 'new'"
            " AND a.status IN ('pending', 'sent') AND a.dedup_key LIKE 'event:%' ORDER BY a.id",
            params,
        )
        _add(found, rows, set(places))
    return found


async def story_alerted(
    db: Db, places: Sequence[tuple[str, int]]
) -> dict[tuple[str, int], Holding]:
    """The ``(channel, story id)`` of ``places`` whose channel holds a "new" alert per story
    (pending or sent) of the story, of any rule (``alerts_story``), with what it holds."""
    found: dict[tuple[str, int], Holding] = {}
    for marks, params in in_lists(sorted({story for _, story in places})):
        rows = await db.fetch_all(
            f"SELECT {_COLUMNS}, a.story_id FROM alerts a WHERE a.story_id IN ({marks})"
            " AND a.kind = 'new' AND a.status IN ('pending', 'sent') AND a.dedup_key LIKE 'new:%'"
            " ORDER BY a.id",
            params,
        )
        _add(found, rows, set(places))
    return found


def _add(found: dict[tuple[str, int], Holding], rows: Sequence[Row],
         wanted: set[tuple[str, int]]) -> None:  # fmt: skip
    for row in rows:
        place = (str(row[1]), int(str(row[5])))
        if place not in wanted:
            continue
        holding = found.setdefault(place, Holding())
        if row[4] == "pending":
            if holding.pending is None:
                holding.pending = load_alert(row)
        else:
            severity = load_alert(row).severity
            if holding.sent is None or rank(severity) > rank(holding.sent):
                holding.sent = severity


async def fold(db: Db, held: Alert, *, raised: bool, now: float) -> bool:
    """Store ``held`` (a pending "new" alert, now naming another rule too) in its row; one
    made more urgent (``raised``) is due now, not when quiet hours end. Whether it was
    still pending (the sender may have taken it meanwhile)."""
    due = ", next_attempt = CASE WHEN next_attempt > ? THEN ? ELSE next_attempt END"
    sql = f"UPDATE alerts SET payload = ?{due if raised else ''} WHERE id = ?"
    sql += " AND status = 'pending'"
    params = (dump_payload(held), now, now, held.id) if raised else (dump_payload(held), held.id)
    return await db.execute(sql, params) > 0


async def was_sent(db: Db, alert_id: int) -> bool:
    """Whether the alert ``alert_id`` is recorded as sent (not failed, expired or waiting)."""
    status = await db.fetch_val("SELECT status FROM alerts WHERE id = ?", (alert_id,))
    return bool(status == "sent")


async def naming_several(db: Db) -> list[tuple[Alert, str]]:
    """The pending "new" alerts that name several rules (``extra.rules``: one per event and
    channel, ``outbox.per_event``), and the pending updates of such messages, each with its
    payload as stored."""
    rows = await db.fetch_all(
        "SELECT id, channel, kind, payload FROM alerts WHERE status = 'pending'"
        """ AND kind IN ('new', 'update') AND payload LIKE '%"rules": %' ORDER BY id"""
    )
    return [(load_alert(r), str(r[3])) for r in rows]


async def rewrite(db: Db, alert: Alert, stored: str, *, due: float | None = None) -> bool:
    """Store ``alert`` in its row if it still waits with the payload ``stored`` (due by
    ``due`` at the latest, where given); whether it did (the sender may have taken it, or a
    poll folded another rule into it meanwhile)."""
    sooner = (
        ""
        if due is None
        else ", next_attempt = CASE WHEN next_attempt > ? THEN ? ELSE next_attempt END"
    )
    params = (dump_payload(alert),) + (() if due is None else (due, due))
    changed = await db.execute(
        f"UPDATE alerts SET payload = ?{sooner} WHERE id = ? AND status = 'pending'"
        " AND payload = ?",
        (*params, alert.id, stored),
    )
    return changed > 0
