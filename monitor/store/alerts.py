"""The alert tables (``alerts``, ``alert_attempts``) of the outbox: the SQL, and nothing else.

An alert row is unique per ``(channel, dedup_key)``; inserting the same key again is a
no-op, which is what keeps one story from being alerted twice on one channel. Status moves
``pending`` -> ``sent`` | ``failed`` | ``expired`` | ``folded`` (held back by the alert-storm
guard and counted in a "storm" summary); every try is a row of ``alert_attempts``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from monitor.models import Alert
from monitor.store import growth
from monitor.store.batch import Rows, in_lists
from monitor.store.db import Db, Row
from monitor.store.payload import dump_payload, folded, load_alert

__all__ = ["Due", "dump_payload", "load_alert"]  # the payload's, for the outbox

PENDING, SENT, FAILED, EXPIRED, FOLDED = "pending", "sent", "failed", "expired", "folded"


@dataclass(slots=True)
class Due:
    """A pending alert as the delivery worker sees it."""

    alert: Alert
    payload: str  # as read, to tell whether it changed while it was being sent
    attempts: int
    created_at: float
    next_attempt: float
    external_id: str | None


ALERT_COLUMNS = "id, channel, kind, payload, attempts, created_at, next_attempt, external_id"
# The same, of ``alerts a`` (in a join).
ALERT_COLUMNS_OF_A = ", ".join("a." + c for c in ALERT_COLUMNS.split(", "))
# An alert as it goes out: ``ALERT_COLUMNS`` of ``alerts a``, then the growth of its story or
# event since it was queued (NULLs without one; ``store.growth``), read by ``load_due``.
_AS_SENT = (
    f"SELECT {ALERT_COLUMNS_OF_A}, g.outlets, g.told{{more}}"
    " FROM alerts a LEFT JOIN alert_growth g ON g.owner = a.growth"
)
_AS_SENT_ONLY = _AS_SENT.format(more="")


def load_due(row: Row) -> Due:
    """The Due of a row of ``_AS_SENT`` (``ALERT_COLUMNS``, then the growth it shows)."""
    alert, payload = folded(load_alert(row), row[3], row[8], row[9])
    return Due(alert, payload, int(row[4]), float(row[5]), float(row[6]), row[7])


async def insert(
    db: Db,
    alert: Alert,
    *,
    dedup_key: str,
    now: float,
    next_attempt: float | None = None,
    external_id: str | None = None,
) -> int | None:
    """Insert one alert unless its key is there; its new id, or None when the key was."""
    new_id = await db.fetch_val(
        "INSERT INTO alerts (channel, kind, story_id, rule, dedup_key, payload,"
        " next_attempt, external_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING RETURNING id",
        (
            alert.channel,
            alert.kind,
            alert.story_id,
            alert.rule,
            dedup_key,
            dump_payload(alert),
            now if next_attempt is None else next_attempt,
            external_id,
            now,
        ),
    )
    return None if new_id is None else int(new_id)


_NEW_ALERTS = Rows(
    "alerts",
    "channel text, kind text, story_id bigint, rule text, dedup_key text, payload text",
    shared="next_attempt float8, created_at float8",
    tail="ON CONFLICT DO NOTHING RETURNING id, channel, dedup_key",
)


async def insert_many(
    db: Db, keyed: Sequence[tuple[Alert, str]], *, now: float
) -> list[int | None]:
    """``insert`` for many ``(alert, dedup_key)`` at once, due ``now``, in one statement: the
    new id of each, or None where its key was there (or came earlier in ``keyed``)."""
    rows = [(a.channel, a.kind, a.story_id, a.rule, key, dump_payload(a)) for a, key in keyed]
    new = {(str(c), str(k)): int(i) for i, c, k in await _NEW_ALERTS.insert(db, rows, (now, now))}
    # The first of equal keys is the one stored: the later ones were no-ops.
    return [new.pop((a.channel, key), None) for a, key in keyed]


async def upsert_update(
    db: Db,
    alert: Alert,
    *,
    dedup_key: str,
    external_id: str,
    now: float,
    due: float,
) -> None:
    """The one update row of a sent message: created, or refreshed with the newest content.

    A pending update keeps its due time (so growth every minute cannot postpone it forever);
    one already sent goes back to pending, due at ``due``.
    """
    await db.execute(
        "INSERT INTO alerts (channel, kind, story_id, rule, dedup_key, payload, next_attempt,"
        " external_id, created_at) VALUES (?, 'update', ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (channel, dedup_key) DO UPDATE SET payload = excluded.payload,"
        "  next_attempt = CASE WHEN alerts.status = 'pending' THEN alerts.next_attempt"
        "                 ELSE excluded.next_attempt END,"
        "  attempts = CASE WHEN alerts.status = 'pending' THEN alerts.attempts ELSE 0 END,"
        "  created_at = CASE WHEN alerts.status = 'pending' THEN alerts.created_at"
        "               ELSE excluded.created_at END,"
        "  status = 'pending', last_error = NULL",
        (
            alert.channel,
            alert.story_id,
            alert.rule,
            dedup_key,
            dump_payload(alert),
            due,
            external_id,
            now,
        ),
    )


async def set_payload(db: Db, alert_id: int, alert: Alert) -> None:
    await db.execute("UPDATE alerts SET payload = ? WHERE id = ?", (dump_payload(alert), alert_id))


async def has_key(db: Db, channel: str, dedup_key: str) -> bool:
    row = await db.fetch_one(
        "SELECT 1 FROM alerts WHERE channel = ? AND dedup_key = ?", (channel, dedup_key)
    )
    return row is not None


async def due(db: Db, channel: str, now: float, limit: int) -> list[Due]:
    """Pending alerts of ``channel`` whose time has come, oldest due first."""
    rows = await db.fetch_all(
        f"{_AS_SENT_ONLY} WHERE a.status = 'pending' AND a.channel = ?"
        " AND a.next_attempt <= ? ORDER BY a.next_attempt, a.id LIMIT ?",
        (channel, now, limit),
    )
    return [load_due(r) for r in rows]


async def payloads(db: Db) -> dict[int, str]:
    """Every alert's payload as it goes out (or went), by id: a pending one's with the growth
    of its story or event since it was queued (``store.growth``)."""
    rows = await db.fetch_all(f"{_AS_SENT_ONLY} ORDER BY a.id")
    return {int(r[0]): load_due(r).payload for r in rows}


async def next_due(db: Db, channel: str) -> float | None:
    first = await db.fetch_val(
        "SELECT MIN(next_attempt) FROM alerts WHERE status = 'pending' AND channel = ?",
        (channel,),
    )
    return float(first) if first is not None else None


async def current(db: Db, alert_id: int) -> tuple[str, str | None] | None:
    """(payload, external_id) of one alert as it is now (its growth shown)."""
    row = await db.fetch_one(f"{_AS_SENT_ONLY} WHERE a.id = ?", (alert_id,))
    return (load_due(row).payload, row[7]) if row else None


# On PostgreSQL the assigner's poll reads the alerts of the stories and events it grew with
# FOR SHARE (``store.grown``). An alert leaving pending is taken first, in id order (as the
# poll takes them): that waits for a poll that read it pending to commit, so what this
# transaction reads next shows the growth that poll wrote, and a poll after it reads the
# alert as it left pending (a sent one gets its update there, not a pointer to its growth).
_HOLD = "SELECT id FROM alerts WHERE id IN ({marks}) ORDER BY id FOR UPDATE"


async def _hold(db: Db, ids: Sequence[int]) -> None:
    if db.dialect == "postgresql":
        for marks, params in in_lists(sorted(ids)):
            await db.fetch_all(_HOLD.format(marks=marks), params)


async def _shown(db: Db, ids: Sequence[int]) -> dict[int, str]:
    shown: dict[int, str] = {}
    for marks, params in in_lists(ids):
        for row in await db.fetch_all(f"{_AS_SENT_ONLY} WHERE a.id IN ({marks})", params):
            shown[int(row[0])] = load_due(row).payload
    return shown


async def mark_sent(
    db: Db,
    ids: Iterable[int],
    *,
    now: float,
    external_id: str | None,
    went_out: Mapping[int, str] | None = None,
) -> dict[int, str]:
    """Record these alerts sent. ``went_out``: the payload each went out with, by id (as
    ``due`` read it), recorded as what was sent whatever the alert shows by now; without
    it, what it shows now. Returns (with ``went_out``) what each showed just before, its
    growth folded in: more than went out where its story or event grew (or its update was
    refreshed) while it was being sent, which the caller follows up (``outbox.upkeep``)."""
    rows = [(now, external_id, i) for i in ids]
    marked = [i for _, _, i in rows]
    await _hold(db, marked)
    shown = {} if went_out is None else await _shown(db, marked)
    await growth.settle(db, marked, went_out)
    if went_out is not None:
        # Alerts that point at no growth but whose payload changed (a refreshed update).
        stale = [(went_out[i], i) for i in marked if shown.get(i, went_out[i]) != went_out[i]]
        if stale:
            await db.execute_many("UPDATE alerts SET payload = ? WHERE id = ?", stale)
    await db.execute_many(
        "UPDATE alerts SET status = 'sent', attempts = attempts + 1, sent_at = ?,"
        " external_id = COALESCE(?, external_id), last_error = NULL WHERE id = ?",
        rows,
    )
    await db.execute_many(
        "INSERT INTO alert_attempts (alert_id, at, outcome) VALUES (?, ?, 'sent')",
        [(i, now) for (_, _, i) in rows],
    )
    return shown


async def requeue(db: Db, alert_id: int, payload: str, *, now: float) -> None:
    """An alert just recorded sent goes out again, with ``payload``, due ``now``: an update
    refreshed while its older content was being sent."""
    await db.execute(
        "UPDATE alerts SET status = 'pending', payload = ?, attempts = 0, next_attempt = ?,"
        " created_at = ?, last_error = NULL WHERE id = ?",
        (payload, now, now, alert_id),
    )


async def mark_retry(
    db: Db, ids: Iterable[int], *, now: float, next_attempt: float, error: str
) -> None:
    rows = list(ids)
    await db.execute_many(
        "UPDATE alerts SET attempts = attempts + 1, next_attempt = ?, last_error = ? WHERE id = ?",
        [(next_attempt, error, i) for i in rows],
    )
    await db.execute_many(
        "INSERT INTO alert_attempts (alert_id, at, outcome, error) VALUES (?, ?, 'retry', ?)",
        [(i, now, error) for i in rows],
    )


async def mark_given_up(db: Db, ids: Iterable[int], *, now: float, status: str, error: str) -> None:
    """``failed`` (the channel refused for good) or ``expired`` (undelivered for too long)."""
    rows = list(ids)
    await _hold(db, rows)
    await growth.settle(db, rows)
    await db.execute_many(
        "UPDATE alerts SET status = ?, attempts = attempts + ?, last_error = ? WHERE id = ?",
        [(status, 1 if status == FAILED else 0, error, i) for i in rows],
    )
    await db.execute_many(
        "INSERT INTO alert_attempts (alert_id, at, outcome, error) VALUES (?, ?, 'failed', ?)",
        [(i, now, error) for i in rows],
    )


async def expire_overdue(
    db: Db, channel: str, *, created_before: float, now: float, error: str
) -> list[int]:
    """Mark ``expired`` every pending alert of ``channel`` created before ``created_before``,
    due or not (one parked until a far Retry-After expires as well); their ids."""
    rows = await db.fetch_all(
        "SELECT id, attempts FROM alerts WHERE status = 'pending' AND channel = ?"
        " AND created_at < ? ORDER BY id",
        (channel, created_before),
    )
    overdue = [(int(i), int(n)) for i, n in rows]
    for alert_id, attempts in overdue:
        await mark_given_up(
            db, [alert_id], now=now, status=EXPIRED, error=f"{error} ({attempts} attempts)"
        )
    return [alert_id for alert_id, _ in overdue]


async def sent_since(
    db: Db, channel: str, kinds: Sequence[str], since: float
) -> list[tuple[str | None, float]]:
    """(rule, sent_at) of the alerts of these kinds sent on ``channel`` since ``since``."""
    marks = ", ".join("?" * len(kinds))
    rows = await db.fetch_all(
        "SELECT rule, sent_at FROM alerts WHERE status = 'sent' AND channel = ?"
        f" AND kind IN ({marks}) AND sent_at >= ? ORDER BY sent_at",
        (channel, *kinds, since),
    )
    return [(r[0], float(r[1])) for r in rows]


async def mark_folded(db: Db, ids: Iterable[int], *, note: str) -> None:
    """Held back by the alert-storm guard: counted in a summary alert instead of sent."""
    ids = list(ids)
    await _hold(db, ids)
    await growth.settle(db, ids)
    await db.execute_many(
        "UPDATE alerts SET status = 'folded', last_error = ? WHERE id = ?",
        [(note, i) for i in ids],
    )


async def by_key(db: Db, channel: str, dedup_key: str) -> tuple[Due, str] | None:
    """The alert of ``channel`` with this key, and its status."""
    row = await db.fetch_one(
        _AS_SENT.format(more=", a.status") + " WHERE a.channel = ? AND a.dedup_key = ?",
        (channel, dedup_key),
    )
    return (load_due(row), str(row[10])) if row else None


async def deliverable(
    db: Db, channel: str, until: float, *, now: float | None = None, held: Sequence[str] = ()
) -> int:
    """Pending alerts of ``channel`` due by ``until``; untried ones of a ``held`` kind count
    only once due by ``now`` (a drain releases them itself rather than wait for their time)."""
    if not held or now is None:
        count = await db.fetch_val(
            "SELECT COUNT(*) FROM alerts WHERE status = 'pending' AND channel = ?"
            " AND next_attempt <= ?",
            (channel, until),
        )
        return int(count or 0)
    kinds = ", ".join("?" for _ in held)
    count = await db.fetch_val(
        "SELECT COUNT(*) FROM alerts WHERE status = 'pending' AND channel = ?"
        " AND (next_attempt <= ?"
        f" OR ((kind NOT IN ({kinds}) OR attempts > 0) AND next_attempt <= ?))",
        (channel, now, *held, until),
    )
    return int(count or 0)


async def postpone(db: Db, ids: Iterable[int], until: float) -> None:
    """Move alerts later without counting an attempt (quiet hours, digest window)."""
    await db.execute_many(
        "UPDATE alerts SET next_attempt = ? WHERE id = ?", [(until, i) for i in ids]
    )


async def bring_forward(db: Db, kind: str, now: float, *, untried_only: bool = True) -> int:
    """Make the pending alerts of ``kind`` (only those not yet tried, unless told otherwise)
    due ``now``; how many there were."""
    tried = " AND attempts = 0" if untried_only else ""
    return await db.execute(
        "UPDATE alerts SET next_attempt = ? WHERE status = 'pending' AND kind = ?"
        f"{tried} AND next_attempt > ?",
        (now, kind, now),
    )
