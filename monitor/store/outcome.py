"""What a delivery's outcome writes to an alert: sent, retried, given up (failed or
expired), folded into a storm summary, or back to pending (``requeue``); every try a row of
``alert_attempts``. An alert leaving pending takes with it the growth it showed
(``store.growth.settle``); one recorded sent keeps what went out (``went_out``), and the
growth that came meanwhile goes out after it (``outbox.upkeep.follow_up``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from monitor.store import growth
from monitor.store.alert_row import AS_SENT_ONLY, EXPIRED, FAILED, load_due
from monitor.store.batch import in_lists
from monitor.store.db import Db

# On PostgreSQL the assigner's poll locks the pending "new" and "burst" alerts of the stories
# and events it grew (FOR SHARE, ``store.grown.hold``), then the update rows of their sent
# ones (``store.grown.hold_updates``), each in id order. An alert leaving pending is taken
# first, in that one order (new and burst alerts by id, then updates by id), so that neither
# waits for the other in a circle: that waits for a poll that read it pending to commit, so
# what this transaction reads next shows the growth that poll wrote, and a poll after it
# reads the alert as it left pending (a sent one gets its update there, not a pointer to its
# growth).
_HOLD = "SELECT id FROM alerts WHERE id = ANY(?::bigint[]) ORDER BY kind = 'update', id FOR UPDATE"


async def hold(db: Db, ids: Sequence[int]) -> None:
    """On PostgreSQL, lock these alerts for an outcome, in the one order (``_HOLD``)."""
    if db.dialect == "postgresql" and ids:
        await db.fetch_all(_HOLD, (sorted(ids),))


async def _shown(db: Db, ids: Sequence[int]) -> dict[int, str]:
    shown: dict[int, str] = {}
    for marks, params in in_lists(ids):
        for row in await db.fetch_all(f"{AS_SENT_ONLY} WHERE a.id IN ({marks})", params):
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
    await hold(db, marked)
    shown = {} if went_out is None else await _shown(db, marked)
    settled = await growth.settle(db, marked, went_out)
    if went_out is not None:
        # Alerts that point at no growth but whose payload changed (a refreshed update):
        # those that showed growth were written as they went out by the settle.
        stale = [
            (went_out[i], i)
            for i in marked
            if i not in settled and shown.get(i, went_out[i]) != went_out[i]
        ]
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
    rows = sorted(ids)
    await hold(db, rows)
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
    await hold(db, rows)
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
    db: Db,
    channel: str,
    *,
    created_before: float,
    now: float,
    error: str,
    limit: int | None = None,
) -> list[int]:
    """Mark ``expired`` the pending alerts of ``channel`` created before ``created_before``
    (the first ``limit`` of them), due or not (one parked until a far Retry-After expires as
    well); their ids. Locked in the one order (``hold``) as they are read: one the sender
    recorded meanwhile is left out. ``outbox.upkeep.expire`` gives up a few per transaction:
    a backlog in one would hold up every poll waiting for one of them as long as it lasts."""
    more = "" if limit is None else f" LIMIT {int(limit)}"
    lock = " FOR UPDATE" if db.dialect == "postgresql" else ""
    rows = await db.fetch_all(
        "SELECT id, attempts FROM alerts WHERE status = 'pending' AND channel = ?"
        f" AND created_at < ? ORDER BY kind = 'update', id{more}{lock}",
        (channel, created_before),
    )
    overdue = [(int(i), int(n)) for i, n in rows]
    for alert_id, attempts in overdue:
        await mark_given_up(
            db, [alert_id], now=now, status=EXPIRED, error=f"{error} ({attempts} attempts)"
        )
    return [alert_id for alert_id, _ in overdue]


async def mark_told(db: Db, alert_id: int, payload: str, *, read: str) -> bool:
    """An update not sent: a more urgent message told the reader its growth
    (``outbox.told``). Kept, as ``told``, with ``payload`` (what that message told), unless
    it changed since it was read as ``read``; whether it was."""
    await hold(db, [alert_id])
    changed = await db.execute(
        "UPDATE alerts SET status = 'told', payload = ?, last_error = NULL"
        " WHERE id = ? AND status = 'pending' AND payload = ?",
        (payload, alert_id, read),
    )
    return changed > 0


async def mark_folded(db: Db, ids: Iterable[int], *, note: str) -> None:
    """Held back by the alert-storm guard: counted in a summary alert instead of sent."""
    ids = list(ids)
    await hold(db, ids)
    await growth.settle(db, ids)
    await db.execute_many(
        "UPDATE alerts SET status = 'folded', last_error = ? WHERE id = ?",
        [(note, i) for i in ids],
    )
