"""The "new" and "burst" alerts of the stories and events a poll grew, each with its status:
what the outbox's growth checks (``outbox.grow.on_grown``), read in one query where it can.
Each is read as a ``Held``: its columns, its payload decoded only when asked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.store.alerts import ALERT_COLUMNS_OF_A, Due, load_due
from monitor.store.batch import CHUNK, in_lists, padded, padded_size
from monitor.store.db import Db, Row

# A Held's row: the alert as it would go out (``store.alerts``: its columns, then the growth
# it shows), then what the growth checks read of it, then the story or event it is read for.
# Its payload is decoded only where the checks need it (``Held.due``): most are pending "new"
# alerts that need nothing of it.
_CHECKED = "a.status, a.rule, a.dedup_key, a.growth"
_OWNER = 14  # the story or event id, after the alert and what is checked
_GROWTH = " LEFT JOIN alert_growth g ON g.owner = a.growth"


@dataclass(slots=True)
class Held:
    """An alert of a grown story or event, as the growth checks read it. Most are pending and
    need nothing of their payload: it is decoded (``due``) only for those that do."""

    id: int
    channel: str
    kind: str
    status: str
    rule: str | None
    dedup_key: str
    external_id: str | None
    growth: str | None  # the alert_growth it shows (``store.growth``)
    row: Row
    _due: Due | None = None

    @property
    def due(self) -> Due:
        """The alert as stored, showing the growth it was read with (an event's: see
        ``OF_STORIES``), before this poll's."""
        if self._due is None:
            self._due = load_due(self.row)
        return self._due

    @property
    def event_id(self) -> int | None:
        """The event of an alert per event: a "new" one's is in its key (``outbox.keys``)."""
        if self.kind == "new":
            scope, _, rest = self.dedup_key.partition(":")
            if scope == "new":
                return None
            event = rest.partition(":")[0]
            if scope == "event" and event.isdigit():
                return int(event)
        return self.due.alert.event_id

    @property
    def bursting(self) -> bool:
        """A "new" alert of a rule with a burst condition (``outbox.bursts.burst_extra``)."""
        # The key as the encoder writes it, unescaped: text inside a string cannot match.
        return (
            self.kind == "new"
            and '"burst_outlets":' in self.row[3]
            and "burst_outlets" in self.due.alert.extra
        )


def _held(row: Row) -> Held:
    return Held(int(row[0]), str(row[1]), str(row[2]), str(row[10]), row[11], str(row[12]),
                row[7], row[13], row)  # fmt: skip


# On PostgreSQL the sender (another node) may be recording one of these alerts as it leaves
# pending while the poll reads it: unlocked, the poll would go on from "pending" (point it at
# the growth, queue no update) after the sender committed "sent" with the growth as it was
# before. Read shared, they wait for that record, or it waits for this poll. Every
# transaction takes alerts in one order (``store.outcome``): new and burst alerts by id, then
# update rows by id. So does the poll: these all at once, before it writes any (``hold``),
# then the update rows of the sent ones (``hold_updates``). A lock taken later, out of that
# order, would let each wait for the other in a circle, and PostgreSQL would abort one.
#
# One list of stories (those named, then the events'), so that the alerts are found through
# alerts_story whatever the plan (an OR of the two lists is not, and the writer's generic plan
# then reads every alert kept). Only pending ones: a sent alert stays sent, and one the sender
# records meanwhile is left out once it has (the row is looked at again after the wait);
# locking every sent one would dirty it at each poll.
_SHARE = (
    "SELECT a.id FROM alerts a"
    " WHERE a.story_id = ANY(?1::bigint[] || ARRAY(SELECT id FROM stories"
    " WHERE event_id = ANY(?2::bigint[]))) AND a.kind IN ('new', 'burst')"
    " AND a.status = 'pending' AND (a.story_id = ANY(?1::bigint[])"
    " OR a.dedup_key LIKE 'event:%' OR a.dedup_key LIKE 'burst:event:%')"
    " ORDER BY a.id FOR SHARE"
)


async def hold(db: Db, story_ids: Sequence[int], event_ids: Sequence[int]) -> None:
    """On PostgreSQL, lock (shared, in id order) the pending "new" and "burst" alerts a poll
    may write: those of the stories it grew or moved to another event, and those per event
    of the events it grew (the update rows of the sent ones: ``hold_updates``, after).
    Before the poll writes its events (``store.events.record``): their stories as they were,
    as a moved story's alerts stay with the event they were raised for."""
    if db.dialect == "postgresql" and (story_ids or event_ids):
        await db.fetch_all(_SHARE, (sorted(story_ids), sorted(event_ids)))


# The update rows (``update:ALERT``) of the sent alerts a poll read, which its growth may
# refresh (``outbox.grow``): read pending while the sender records one sent, a refresh would
# put it back to pending and send it again for an outlet more. Locked after the poll's alerts
# (``hold``), in id order, all at once: the sender's order (``store.outcome``).
_UPDATES = (
    "SELECT id FROM alerts WHERE kind = 'update' AND (channel, dedup_key) IN"
    " (SELECT * FROM unnest(?::text[], ?::text[])) ORDER BY id FOR UPDATE"
)


async def hold_updates(db: Db, *alerts: HeldBy) -> None:
    """On PostgreSQL, lock the update rows of the sent alerts among ``alerts`` (as
    ``grown_alerts`` read them), in id order, once ``hold`` took theirs."""
    if db.dialect != "postgresql":
        return
    keys = sorted(
        {(h.channel, f"update:{h.id}") for by in alerts for held in by.values() for h in held
         if h.status == "sent"}
    )  # fmt: skip
    if keys:
        await db.fetch_all(_UPDATES, ([c for c, _ in keys], [k for _, k in keys]))


# The "new" and "burst" alerts of stories, with their status and story: ``{marks}`` is an
# ``in_lists`` placeholder list. Rows are read by ``add_held``.
#
# Through the indexes whatever SQLite's statistics say (INDEXED BY; PostgreSQL is not
# given the hint): statistics recorded while the store was young mislead the planner into
# reading every alert ever kept at every poll that grew a story.
#
# Without the growth they show: a story's alerts are decoded for its burst check, whose
# alert shows the story's outlets whatever the one it is made of showed, and for the
# update of a sent message (a sent alert shows no growth: ``store.growth.settle``).
OF_STORIES = (
    f"SELECT {ALERT_COLUMNS_OF_A}, NULL AS outlets, NULL AS told, {_CHECKED}, a.story_id"
    " FROM alerts a INDEXED BY alerts_story"
    " WHERE a.story_id IN ({marks}) AND a.kind IN ('new', 'burst')"
)
HeldBy = dict[int, list[Held]]


def add_held(out: HeldBy, rows: Sequence[Row]) -> None:
    """Rows of ``OF_STORIES`` or ``_OF_EVENTS``: each alert, under its story or event."""
    for row in rows:
        out.setdefault(int(row[_OWNER]), []).append(_held(row))


async def stories_alerts(db: Db, story_ids: Sequence[int]) -> HeldBy:
    """The "new" and "burst" alerts of stories (those a poll grew), each with its status,
    by story id."""
    out: HeldBy = {}
    for marks, params in in_lists(story_ids):
        rows = await db.fetch_all(OF_STORIES.format(marks=marks) + " ORDER BY a.id", params)
        add_held(out, rows)
    return out


# The alerts filed under the events (``alerts.event_id``: their stories' events, kept as a
# story moves), through alerts_event, as for OF_STORIES; not those whose story retention
# deleted, as when they were found through the events' stories.
_OF_EVENTS = (
    f"SELECT {ALERT_COLUMNS_OF_A}, g.outlets, g.told, {_CHECKED}, a.event_id"
    f" FROM alerts a INDEXED BY alerts_event{_GROWTH}"
    " WHERE a.event_id IN ({marks}) AND a.story_id IS NOT NULL AND a.kind IN ('new', 'burst')"
    " AND (a.dedup_key LIKE 'event:%' OR a.dedup_key LIKE 'burst:event:%')"
)


async def events_alerts(db: Db, event_ids: Sequence[int]) -> HeldBy:
    """The "new" and "burst" alerts raised per event for ``event_ids``, with their status:
    one query for all of them (an event alert's story_id is the story that raised it, its
    event_id the event that story is in now)."""
    out: HeldBy = {}
    for marks, params in in_lists(event_ids):
        add_held(out, await db.fetch_all(_OF_EVENTS.format(marks=marks) + " ORDER BY 1", params))
    return out


async def grown_alerts(
    db: Db, story_ids: Sequence[int], event_ids: Sequence[int]
) -> tuple[HeldBy, HeldBy]:
    """``stories_alerts(story_ids)`` and ``events_alerts(event_ids)``: what a poll
    that grew stories and events reads, in one query where both lists are short (on
    PostgreSQL, once ``hold`` took their alerts)."""
    if not story_ids or not event_ids or max(len(story_ids), len(event_ids)) > CHUNK:
        apart = await stories_alerts(db, story_ids) if story_ids else {}
        return apart, await events_alerts(db, event_ids)
    # Both lists as long as the longer one would be made: one statement text a size, not
    # one for each pair of sizes.
    size = padded_size(max(len(story_ids), len(event_ids)))
    marks, story_params = padded(list(story_ids), size)
    _, event_params = padded(list(event_ids), size)
    rows = await db.fetch_all(
        f"SELECT *, 0 FROM ({OF_STORIES.format(marks=marks)}) AS of_stories UNION ALL"
        f" SELECT *, 1 FROM ({_OF_EVENTS.format(marks=marks)}) AS of_events"
        f" ORDER BY {_OWNER + 2}, 1",
        (*story_params, *event_params),
    )
    of_stories: HeldBy = {}
    of_events: HeldBy = {}
    add_held(of_stories, [r for r in rows if r[_OWNER + 1] == 0])
    add_held(of_events, [r for r in rows if r[_OWNER + 1] == 1])
    return of_stories, of_events
