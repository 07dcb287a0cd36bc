"""The alert tables (``alerts``, ``alert_attempts``) of the outbox: the SQL, and nothing else.

An alert row is unique per ``(channel, dedup_key)``; inserting the same key again is a
no-op, which is what keeps one story from being alerted twice on one channel. Status moves
``pending`` -> ``sent`` | ``failed`` | ``expired`` | ``folded`` (held back by the alert-storm
guard and counted in a "storm" summary); every try is a row of ``alert_attempts``. The
row as read is ``store.alert_row``'s, what an outcome writes ``store.outcome``'s: both are
reached from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from monitor.errors import CONFIG_PROBLEM
from monitor.models import Alert
from monitor.store.alert_row import (
    ALERT_COLUMNS,
    ALERT_COLUMNS_OF_A,
    AS_SENT,
    AS_SENT_ONLY,
    EXPIRED,
    FAILED,
    FOLDED,
    PENDING,
    SENT,
    TOLD,
    Due,
    load_due,
)
from monitor.store.batch import Rows
from monitor.store.db import Db
from monitor.store.outcome import (
    expire_overdue,
    hold,
    mark_folded,
    mark_given_up,
    mark_retry,
    mark_sent,
    mark_told,
    requeue,
)
from monitor.store.payload import dump_payload, load_alert

# The row as read (``store.alert_row``), what a delivery's outcome writes
# (``store.outcome``) and the payload's, for the outbox: one door to the alert tables.
__all__ = [
    "ALERT_COLUMNS", "ALERT_COLUMNS_OF_A", "EXPIRED", "FAILED", "FOLDED", "PENDING", "SENT",
    "TOLD", "Due", "dump_payload", "expire_overdue", "hold", "load_alert", "load_due",
    "mark_folded", "mark_given_up", "mark_retry", "mark_sent", "mark_told", "requeue",
]  # fmt: skip


async def insert(
    db: Db,
    alert: Alert,
    *,
    dedup_key: str,
    now: float,
    next_attempt: float | None = None,
    external_id: str | None = None,
) -> int | None:
    """Insert one alert unless its key is there; its new id, or None when the key was. One
    per event is filed under its story's event (``event_id``)."""
    new_id = await db.fetch_val(
        _INSERT_OF_EVENT if key_event(dedup_key) is not None else _INSERT,
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


_INSERT = (
    "INSERT INTO alerts (channel, kind, story_id, rule, dedup_key, payload,"
    " next_attempt, external_id, created_at{event}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9"
    "{of_story}) ON CONFLICT DO NOTHING RETURNING id"
)
# The story's event as stored now: the key's is the one the alert was raised in, which an
# alert made later of a sent one's rules keeps (``outbox.upkeep``) after the story moved.
_INSERT_OF_EVENT = _INSERT.format(
    event=", event_id", of_story=", (SELECT event_id FROM stories WHERE id = ?3)"
)
_INSERT = _INSERT.format(event="", of_story="")


def key_event(dedup_key: str) -> int | None:
    """The event of an alert per event, from its key (``event:EVENT:RULE``,
    ``burst:event:EVENT:RULE``: ``outbox.keys``); None for any other key."""
    if dedup_key.startswith("event:"):
        rest = dedup_key[6:]
    elif dedup_key.startswith("burst:event:"):
        rest = dedup_key[12:]
    else:
        return None
    head = rest.partition(":")[0]
    return int(head) if head.isdigit() else None


_NEW_ALERTS = Rows(
    "alerts",
    "channel text, kind text, story_id bigint, rule text, dedup_key text, payload text,"
    " event_id bigint",
    shared="next_attempt float8, created_at float8",
    tail="ON CONFLICT DO NOTHING RETURNING id, channel, dedup_key",
)


async def insert_many(
    db: Db, keyed: Sequence[tuple[Alert, str]], *, now: float
) -> list[int | None]:
    """``insert`` for many ``(alert, dedup_key)`` at once, due ``now``, in one statement: the
    new id of each, or None where its key was there (or came earlier in ``keyed``). One per
    event is filed under the event of its key: a poll's own matches, raised in the event its
    story is in now."""
    rows = [
        (a.channel, a.kind, a.story_id, a.rule, key, dump_payload(a), key_event(key))
        for a, key in keyed
    ]
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

    A pending update keeps its due time (so growth every minute cannot postpone it forever)
    and its retry's error (its back-off stays: ``release_postponed``); one already sent goes
    back to pending, due at ``due``.
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
        "  last_error = CASE WHEN alerts.status = 'pending' THEN alerts.last_error END,"
        "  status = 'pending'",
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


async def set_payload(db: Db, alert_id: int, alert: Alert, *, read: str | None = None) -> bool:
    """Write ``alert`` as the payload of one alert; with ``read``, only of a pending one whose
    payload is still that. Whether it was written."""
    payload = dump_payload(alert)
    if read is None:
        return (
            await db.execute("UPDATE alerts SET payload = ? WHERE id = ?", (payload, alert_id)) > 0
        )
    return (
        await db.execute(
            "UPDATE alerts SET payload = ? WHERE id = ? AND status = 'pending' AND payload = ?",
            (payload, alert_id, read),
        )
        > 0
    )


async def state(db: Db, alert_id: int) -> tuple[str, float] | None:
    """The status and next attempt of one alert (None: it is no longer kept)."""
    row = await db.fetch_one("SELECT status, next_attempt FROM alerts WHERE id = ?", (alert_id,))
    return (str(row[0]), float(row[1])) if row else None


async def has_key(db: Db, channel: str, dedup_key: str) -> bool:
    row = await db.fetch_one(
        "SELECT 1 FROM alerts WHERE channel = ? AND dedup_key = ?", (channel, dedup_key)
    )
    return row is not None


async def due(db: Db, channel: str, now: float, limit: int) -> list[Due]:
    """Pending alerts of ``channel`` whose time has come, oldest due first."""
    rows = await db.fetch_all(
        f"{AS_SENT_ONLY} WHERE a.status = 'pending' AND a.channel = ?"
        " AND a.next_attempt <= ? ORDER BY a.next_attempt, a.id LIMIT ?",
        (channel, now, limit),
    )
    return [load_due(r) for r in rows]


async def payloads(db: Db) -> dict[int, str]:
    """Every alert's payload as it goes out (or went), by id: a pending one's with the growth
    of its story or event since it was queued (``store.growth``)."""
    rows = await db.fetch_all(f"{AS_SENT_ONLY} ORDER BY a.id")
    return {int(r[0]): load_due(r).payload for r in rows}


async def next_due(db: Db, channel: str) -> float | None:
    first = await db.fetch_val(
        "SELECT MIN(next_attempt) FROM alerts WHERE status = 'pending' AND channel = ?",
        (channel,),
    )
    return float(first) if first is not None else None


async def current(db: Db, alert_id: int) -> tuple[str, str | None] | None:
    """(payload, external_id) of one alert as it is now (its growth shown)."""
    row = await db.fetch_one(f"{AS_SENT_ONLY} WHERE a.id = ?", (alert_id,))
    return (load_due(row).payload, row[7]) if row else None


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


async def by_key(db: Db, channel: str, dedup_key: str) -> tuple[Due, str] | None:
    """The alert of ``channel`` with this key, and its status."""
    row = await db.fetch_one(
        AS_SENT.format(more=", a.status") + " WHERE a.channel = ? AND a.dedup_key = ?",
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


async def open_window(db: Db, channel: str, kinds: Iterable[str], now: float) -> float | None:
    """When the digest window open on ``channel`` ends: the first due time after ``now`` of
    its pending alerts of ``kinds`` never tried (those a digest's window holds); None when
    none waits."""
    kinds = list(kinds)
    marks = ", ".join("?" * len(kinds))
    first = await db.fetch_val(
        "SELECT MIN(next_attempt) FROM alerts WHERE status = 'pending' AND channel = ?"
        f" AND kind IN ({marks}) AND attempts = 0 AND next_attempt > ?",
        (channel, *kinds, now),
    )
    return float(first) if first is not None else None


async def postpone(
    db: Db, ids: Iterable[int], until: float, *, read: Mapping[int, str] | None = None
) -> None:
    """Move alerts later without counting an attempt (quiet hours, digest window); with
    ``read``, only those unchanged since (``postpone_each``)."""
    await postpone_each(db, dict.fromkeys(ids, until), read=read)


# A policy's hold (``postpone_each``): a later time, and no retry's error (a config's stays).
_POLICY = (
    "UPDATE alerts SET next_attempt = ?,"
    f" last_error = CASE WHEN last_error LIKE '%{CONFIG_PROBLEM}%' THEN last_error END"
)


async def postpone_each(
    db: Db, until: Mapping[int, float], *, read: Mapping[int, str] | None = None
) -> None:
    """``postpone`` each alert to its own time, once they are locked in the one order
    (``store.outcome.hold``): a batch may hold updates and new alerts together. ``read``:
    the payload each was read with (``Due.stored``). One changed since is left as it is: a
    rule folded into it may have made it due now (``store.event_alerts.fold``), which a
    worker that judged it on what it was must not undo; it reads it again. One tried before
    loses its retry's error (its back-off is over: it was due): held by a policy, it is
    decided again at a start or reload like one never tried (``release_postponed``); one
    held for its channel's config keeps it (``release_held``)."""
    await hold(db, list(until))
    held = f"{_POLICY} WHERE id = ?"
    if read is None:
        params = [(until[i], i) for i in sorted(until)]
        await db.execute_many(held, params)
        return
    await db.execute_many(
        f"{held} AND payload = ?", [(until[i], i, read[i]) for i in sorted(until)]
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


async def bring_forward_once(
    db: Db, kind: str, now: float, brought: set[int], *, untried_only: bool = True
) -> bool:
    """As ``bring_forward``, but not the alerts of ``brought`` (those brought forward
    before, held again since by a policy: quiet hours); those it brings join ``brought``.
    Whether there were any."""
    tried = " AND attempts = 0" if untried_only else ""
    found = await db.fetch_all(
        f"SELECT id FROM alerts WHERE status = 'pending' AND kind = ?{tried} AND next_attempt > ?",
        (kind, now),
    )
    ids = [int(r[0]) for r in found if int(r[0]) not in brought]
    if not ids:
        return False
    await db.execute_many(
        "UPDATE alerts SET next_attempt = ? WHERE id = ? AND status = 'pending'",
        [(now, i) for i in ids],
    )
    brought.update(ids)
    return True


async def release_held(db: Db, channel: str, now: float) -> int:
    """Make the pending alerts of ``channel`` held for a configuration problem due ``now``
    (the config may have been fixed); how many there were."""
    return await db.execute(
        # last_error cleared: until it fails again, status does not show it held.
        "UPDATE alerts SET next_attempt = ?, last_error = NULL"
        " WHERE status = 'pending' AND channel = ?"
        " AND next_attempt > ? AND last_error LIKE ?",
        (now, channel, now, f"%{CONFIG_PROBLEM}%"),
    )


async def retry_now(db: Db, channel: str, skip: Iterable[int] = ()) -> list[int]:
    """A send on ``channel`` worked: its pending alerts that wait out a retry's back-off
    after a failure (tried, the retry's error kept: not those a policy holds, nor those
    held for the channel's config) are due again from when they were made, so that they
    go out in the order they happened (``due``), at the channel's pace. Their attempts
    stay (the back-off grows on if they fail again). How many there were."""
    found = await db.fetch_all(
        "SELECT id FROM alerts WHERE status = 'pending' AND channel = ? AND attempts > 0"
        " AND last_error IS NOT NULL AND last_error NOT LIKE ? AND next_attempt > created_at",
        (channel, f"%{CONFIG_PROBLEM}%"),
    )
    skipped = set(skip)
    ids = sorted(int(r[0]) for r in found if int(r[0]) not in skipped)
    await hold(db, ids)
    await db.execute_many(
        "UPDATE alerts SET next_attempt = created_at WHERE id = ? AND status = 'pending'",
        [(i,) for i in ids],
    )
    return ids


async def release_postponed(db: Db, channel: str, now: float, *, storm_window: float) -> int:
    """Make the pending alerts of ``channel`` that a policy held (quiet hours, a digest's
    window, an update's coalescing: due later, never tried or tried before but without a
    retry's error: ``postpone_each``) due ``now``, for the worker to decide again under the
    config in force; how many there were. Their attempts stay (a retry's budget). Not those
    waiting out a retry's back-off (its error kept), nor a storm guard's summary waiting for
    the end of its minute (``storm_window`` seconds at most from when it was made: not a
    setting); one held past that (by quiet hours) is."""
    return await db.execute(
        "UPDATE alerts SET next_attempt = ? WHERE status = 'pending' AND channel = ?"
        " AND (attempts = 0 OR last_error IS NULL) AND next_attempt > ?"
        " AND (kind <> 'storm' OR next_attempt > created_at + ?)",
        (now, channel, now, storm_window),
    )


async def oldest_pending(db: Db, channel: str) -> int:
    """The id of the channel's oldest pending alert (0: none)."""
    found = await db.fetch_val(
        "SELECT MIN(id) FROM alerts WHERE channel = ? AND status = 'pending'", (channel,)
    )
    return int(found or 0)


async def held(db: Db) -> dict[str, tuple[int, str]]:
    """By channel: how many pending alerts are held for a configuration problem, and the
    newest such error."""
    rows = await db.fetch_all(
        "SELECT channel, COUNT(*), MAX(last_error) FROM alerts WHERE status = 'pending'"
        " AND last_error LIKE ? GROUP BY channel ORDER BY channel",
        (f"%{CONFIG_PROBLEM}%",),
    )
    return {str(c): (int(n), str(e)) for c, n, e in rows}
