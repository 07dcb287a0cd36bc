"""The "new" and "burst" alerts of the stories and events a poll grew, each with its status:
what the outbox refreshes (``outbox.grow.on_grown``), read in one query where it can."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.store.alerts import ALERT_COLUMNS, Due, load_due
from monitor.store.batch import CHUNK, in_lists
from monitor.store.db import Db, Row


async def story_alerts(db: Db, story_id: int) -> list[tuple[Due, str]]:
    """The "new" and "burst" alerts of a story, each with its status."""
    return (await stories_alerts(db, [story_id])).get(story_id, [])


# The "new" and "burst" alerts of stories, with their status and story: ``{marks}`` is an
# ``in_lists`` placeholder list. Rows are read by ``add_dues``.
#
# Through the indexes whatever SQLite's statistics say (INDEXED BY; PostgreSQL is not
# given the hint): statistics recorded while the store was young mislead the planner into
# reading every alert ever kept at every poll that grew a story.
OF_STORIES = (
    f"SELECT {ALERT_COLUMNS}, status, story_id FROM alerts INDEXED BY alerts_story"
    " WHERE story_id IN ({marks}) AND kind IN ('new', 'burst')"
)
Dues = dict[int, list[tuple[Due, str]]]


def add_dues(out: Dues, rows: Sequence[Row]) -> None:
    """Rows of ``ALERT_COLUMNS``, status and a story or event id: each alert with its status,
    under that id."""
    for row in rows:
        out.setdefault(int(row[9]), []).append((load_due(row), str(row[8])))


async def stories_alerts(db: Db, story_ids: Sequence[int]) -> Dues:
    """``story_alerts`` of many stories at once (the stories a poll grew), by story id."""
    out: Dues = {}
    for marks, params in in_lists(story_ids):
        add_dues(out, await db.fetch_all(OF_STORIES.format(marks=marks) + " ORDER BY id", params))
    return out


# The events' stories first, then their alerts, as for OF_STORIES (where a join let SQLite
# scan the alerts to build a Bloom filter for it).
_OF_EVENTS = (
    f"SELECT {', '.join('a.' + c for c in ALERT_COLUMNS.split(', '))}, a.status, s.event_id"
    " FROM alerts a INDEXED BY alerts_story JOIN stories s ON s.id = a.story_id"
    " WHERE a.story_id IN (SELECT id FROM stories INDEXED BY stories_event"
    " WHERE event_id IN ({marks})) AND a.kind IN ('new', 'burst')"
    " AND (a.dedup_key LIKE 'event:%' OR a.dedup_key LIKE 'burst:event:%')"
)


async def events_alerts(db: Db, event_ids: Sequence[int]) -> Dues:
    """The "new" and "burst" alerts raised per event for ``event_ids``, with their status:
    one query for all of them (an event alert's story_id is the story that raised it)."""
    out: Dues = {}
    for marks, params in in_lists(event_ids):
        add_dues(out, await db.fetch_all(_OF_EVENTS.format(marks=marks) + " ORDER BY 1", params))
    return out


async def grown_alerts(
    db: Db, story_ids: Sequence[int], event_ids: Sequence[int]
) -> tuple[Dues, Dues]:
    """``stories_alerts(story_ids)`` and ``events_alerts(event_ids)``: what a poll
    that grew stories and events reads, in one query where both lists are short."""
    if not story_ids or not event_ids or max(len(story_ids), len(event_ids)) > CHUNK:
        apart = await stories_alerts(db, story_ids) if story_ids else {}
        return apart, await events_alerts(db, event_ids)
    (story_marks, story_params), (event_marks, event_params) = (
        next(in_lists(story_ids)),
        next(in_lists(event_ids)),
    )
    rows = await db.fetch_all(
        f"SELECT *, 0 FROM ({OF_STORIES.format(marks=story_marks)}) AS of_stories UNION ALL"
        f" SELECT *, 1 FROM ({_OF_EVENTS.format(marks=event_marks)}) AS of_events"
        " ORDER BY 11, 1",
        (*story_params, *event_params),
    )
    of_stories: Dues = {}
    of_events: Dues = {}
    add_dues(of_stories, [r for r in rows if r[10] == 0])
    add_dues(of_events, [r for r in rows if r[10] == 1])
    return of_stories, of_events
