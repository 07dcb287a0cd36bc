"""What the alerts of a story or an event that grew show of it, kept once per grown story or
event (``alert_growth``) rather than written into each of their pending alerts at each poll.

A pending alert whose story (or event) grew points at that growth's row (``alerts.growth``,
set once, when a growth first finds the alert); the row holds the story's (event's) outlets
and what an event's alerts tell of it (angles, newest headline, title), replaced at each poll
that grows it. The alert read to be sent shows it (``payload.folded``): its own first outlet,
then the others; the event's figures. An alert leaves pending with its payload written as it
went out and its pointer cleared (``settle``), so only pending alerts ever point at a row and
a sent message's payload stays what was sent, as the updates of later growth compare with.
A row no alert points at any more is deleted by the settle that freed it or, where a poll
in flight held it then, by retention's ``sweep``.

Whatever poll wrote a row last is what every alert pointing at it shows: the same as writing
the row into each of them at each growth, which is what the outbox did before, as long as a
growth reaches every alert that points at it. A story's alerts always stay its own; an
event's leave it only with their story (a story whose event closed joins another), and
``settle_moved`` writes their payloads as they were just before the move.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from monitor.store.batch import in_lists
from monitor.store.db import Db
from monitor.store.payload import ENCODE, folded, load_alert


def story_owner(story_id: int) -> str:
    return f"story:{story_id}"


def event_owner(event_id: int) -> str:
    return f"event:{event_id}"


async def write(
    db: Db,
    grown: Sequence[tuple[str, Sequence[str], dict[str, str]]],
    pointed: Sequence[tuple[str, int]],
) -> None:
    """The poll's growth: each ``(owner, outlets, told)`` written once, and the pending
    alerts it reached for the first time, ``(owner, alert id)``, pointed at it."""
    if grown:
        await db.execute_many(
            "INSERT INTO alert_growth (owner, outlets, told) VALUES (?, ?, ?)"
            " ON CONFLICT (owner) DO UPDATE SET outlets = excluded.outlets, told = excluded.told",
            [
                (owner, ENCODE(list(outlets)), ENCODE(told) if told else None)
                for owner, outlets, told in grown
            ],
        )
    if pointed:
        # An alert another node sent since this poll read it pending shows no growth.
        await db.execute_many(
            "UPDATE alerts SET growth = ? WHERE id = ? AND status = 'pending'", pointed
        )


_POINTING = (
    "SELECT a.id, a.channel, a.kind, a.payload, a.growth, g.outlets, g.told FROM alerts a"
    " LEFT JOIN alert_growth g ON g.owner = a.growth"
    " WHERE a.growth IS NOT NULL AND a.{which} IN ({marks})"
)
# On PostgreSQL another node's poll may be pointing alerts at a row while this transaction
# settles the last alert it saw there: a DELETE that waited for that poll's lock would judge
# "no alert points at it" from before the poll committed, and delete the row its new alerts
# show. Rows locked by a poll in flight are left (retention's sweep removes those no alert
# points at: ``sweep``); the rows taken are locked first, so the DELETE's own look, later,
# is current.
_FREE_ROWS = "SELECT owner FROM alert_growth WHERE owner IN ({marks}) FOR UPDATE SKIP LOCKED"


async def settle(
    db: Db, alert_ids: Iterable[int], went_out: Mapping[int, str] | None = None
) -> set[int]:
    """These alerts leave pending (sent, given up, folded): the growth they show written into
    their payloads (or, for those in ``went_out``, the payload they were sent with), their
    pointers cleared, and rows no alert points at any more deleted. The ids of those that
    showed growth (their payloads written here)."""
    return await _settle(db, "id", list(alert_ids), went_out=went_out)


async def settle_moved(db: Db, story_ids: Sequence[int]) -> None:
    """Before these stories leave their events: their alerts' payloads as they are now, no
    longer following the event they leave (an event that grows reaches only the alerts of
    the stories it holds)."""
    await _settle(db, "story_id", story_ids, " AND a.growth LIKE 'event:%'")


async def _settle(
    db: Db,
    which: str,
    keys: Sequence[int],
    also: str = "",
    went_out: Mapping[int, str] | None = None,
) -> set[int]:
    if not keys:
        return set()
    rows = []
    for marks, params in in_lists(keys):
        rows += await db.fetch_all(_POINTING.format(which=which, marks=marks) + also, params)
    if not rows:
        return set()
    sent = went_out or {}
    written = [
        (sent.get(int(r[0])) or folded(load_alert(r), r[3], r[5], r[6])[1], r[0]) for r in rows
    ]
    # Only while pending: on PostgreSQL the sender may have recorded one of the alerts a
    # moved story took along (``settle_moved``, the assigner's) since they were read here,
    # and its payload is now what went out.
    await db.execute_many(
        "UPDATE alerts SET payload = ?, growth = NULL WHERE id = ? AND status = 'pending'",
        written,
    )
    owners = sorted({str(r[4]) for r in rows})
    if db.dialect == "postgresql":
        free: list[str] = []
        for marks, params in in_lists(owners):
            free += [str(r[0]) for r in await db.fetch_all(_FREE_ROWS.format(marks=marks), params)]
        owners = free
    await db.execute_many(
        "DELETE FROM alert_growth WHERE owner = ?"
        " AND NOT EXISTS (SELECT 1 FROM alerts WHERE growth = ?)",
        [(o, o) for o in owners],
    )
    return {int(r[0]) for r in rows}


# Rows no alert points at: a settle leaves a row a poll in flight holds (``_FREE_ROWS``), and
# nothing settles it after, when that poll pointed no new alert at it. The sweep takes them
# as settle does, rows a poll holds left alone, locked before the DELETE looks again: a poll
# that commits a pointer between the two is seen; one that comes after waits for this
# transaction and writes the row anew (its upsert finds none), as a poll always writes the
# row in the transaction that points an alert at it.
_ORPHANS = (
    "SELECT owner FROM alert_growth g"
    " WHERE NOT EXISTS (SELECT 1 FROM alerts WHERE growth = g.owner) LIMIT ?"
)
# Alerts no longer pending that still point at a row: a send recorded before PostgreSQL's
# records waited for the poll in flight (``store.outcome``) could leave one; it would show
# that growth as if it had gone out, and keep the row. Taken in id order, as polls take them.
_STRAY = (
    "SELECT id FROM alerts WHERE growth IS NOT NULL AND status <> 'pending' ORDER BY id LIMIT ?"
)


async def sweep(db: Db, batch: int) -> int:
    """Clear up to ``batch`` pointers of alerts that left pending and delete up to ``batch``
    rows no alert points at; how many rows were deleted."""
    locking = " FOR UPDATE" if db.dialect == "postgresql" else ""
    stray = [int(r[0]) for r in await db.fetch_all(_STRAY + locking, (batch,))]
    if stray:
        await db.execute_many(
            "UPDATE alerts SET growth = NULL WHERE id = ? AND status <> 'pending'",
            [(i,) for i in stray],
        )
    locking += " SKIP LOCKED" if locking else ""
    owners = [str(r[0]) for r in await db.fetch_all(_ORPHANS + locking, (batch,))]
    deleted = 0
    for marks, params in in_lists(owners):
        deleted += await db.execute(
            f"DELETE FROM alert_growth WHERE owner IN ({marks})"
            " AND NOT EXISTS (SELECT 1 FROM alerts WHERE growth = alert_growth.owner)",
            params,
        )
    return deleted
