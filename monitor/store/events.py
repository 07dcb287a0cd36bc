"""Events in the store: the decisions of ``monitor.assign.events`` written (inside the poll's
transaction): the ``events`` rows and ``stories.event_id``; and read back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from monitor.assign import EventPlan
from monitor.events import EventIndex
from monitor.models import Event
from monitor.store import event_outlets as outlets
from monitor.store import growth
from monitor.store.batch import columns, in_lists
from monitor.store.db import Db
from monitor.store.outlets import row_key
from monitor.store.stories import items_json as story_items_json


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


async def reserve_ids(db: Db, count: int) -> Iterator[int]:
    """Ids for up to ``count`` new events (inside the poll's transaction)."""
    return iter(await db.reserve_ids("events", count))


async def record(db: Db, plan: EventPlan) -> None:
    """Write the events ``assign.events`` decided: one statement per kind of change (on
    PostgreSQL, one for all of them), with the outlets and newest headline each event's
    alerts show (``event_outlets``)."""
    moved = await outlets.moved_from(db, plan)
    if moved:
        # Their alerts stop following the events they leave (``store.growth``).
        created = {c.story.story.id for c in plan.changes if c.story.is_new_story}
        await growth.settle_moved(
            db, sorted({story for _, story in plan.story_links if story not in created})
        )
        # ... and are filed under the events their stories join (``alerts.event_id``): a
        # story made by this poll has none yet. Those per event only, also one that a node of
        # the version before left unfiled.
        links = {story: event for event, story in plan.story_links if story not in created}
        await db.execute_many(
            "UPDATE alerts SET event_id = ? WHERE story_id = ?"
            " AND (dedup_key LIKE 'event:%' OR dedup_key LIKE 'burst:event:%')",
            [(event, story) for story, event in sorted(links.items())],
        )
    if db.dialect == "postgresql":
        await _record_pg(db, plan)
    else:
        await _record(db, plan)
    if moved:
        await outlets.recount(db, moved)


async def _record(db: Db, plan: EventPlan) -> None:
    if plan.created:
        await db.execute_many(
            "INSERT INTO events (id, title, first_seen, last_seen, stories) VALUES (?, ?, ?, ?, 0)",
            [(e, title, seen, seen) for e, (title, seen) in plan.created.items()],
        )
    if plan.story_links:
        await db.execute_many("UPDATE stories SET event_id = ? WHERE id = ?", plan.story_links)
    newest = outlets.newest_of(plan)
    rows = [(*update, *newest.pop(update[3], (None, None, None))) for update in plan.updates]
    rows += [(None, None, 0, event_id, *at) for event_id, at in newest.items()]
    await db.execute_many(_UPDATE, rows)
    await outlets.add_outlets(db, plan)


# An event touched by the poll: its title, last seen and stories, and its newest headline
# where the poll's newest item (?5 when, ?6 id, ?7 headline) is newer than the one it has.
_NEWER = "?5 IS NOT NULL AND (latest_at IS NULL OR (latest_at, latest_item) < (?5, ?6))"
_UPDATE = (
    "UPDATE events SET title = COALESCE(?1, title),"
    " last_seen = MAX(last_seen, COALESCE(?2, last_seen)), stories = stories + ?3,"
    f" latest = CASE WHEN {_NEWER} THEN ?7 ELSE latest END,"
    f" latest_at = CASE WHEN {_NEWER} THEN ?5 ELSE latest_at END,"
    f" latest_item = CASE WHEN {_NEWER} THEN ?6 ELSE latest_item END WHERE id = ?4"
)

# The parts of one statement see the tables as they were before it: an event this poll
# creates is inserted as its updates leave it, and each row is named once (``_record_pg``).
_NEWER_PG = (
    "u.at IS NOT NULL AND (e.latest_at IS NULL OR (e.latest_at, e.latest_item) < (u.at, u.item))"
)
_RECORD_PG = (
    "WITH created AS (INSERT INTO events (id, title, first_seen, last_seen, stories, latest,"
    " latest_at, latest_item) SELECT * FROM unnest(?::bigint[], ?::text[], ?::float8[],"
    " ?::float8[], ?::bigint[], ?::text[], ?::float8[], ?::bigint[])),"
    " grown AS (UPDATE events e SET title = COALESCE(u.title, e.title),"
    " last_seen = GREATEST(e.last_seen, u.seen), stories = e.stories + u.added,"
    f" latest = CASE WHEN {_NEWER_PG} THEN u.latest ELSE e.latest END,"
    f" latest_at = CASE WHEN {_NEWER_PG} THEN u.at ELSE e.latest_at END,"
    f" latest_item = CASE WHEN {_NEWER_PG} THEN u.item ELSE e.latest_item END"
    " FROM unnest(?::text[], ?::float8[], ?::bigint[], ?::bigint[], ?::float8[], ?::bigint[],"
    " ?::text[]) AS u(title, seen, added, id, at, item, latest) WHERE e.id = u.id),"
    f" outlets AS (INSERT INTO event_outlets ({outlets.OUTLET_COLUMNS})"
    " SELECT * FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::float8[], ?::bigint[],"
    " ?::text[]) ON CONFLICT DO NOTHING)"
    " UPDATE stories s SET event_id = u.event FROM unnest(?::bigint[], ?::bigint[])"
    " AS u(event, story) WHERE s.id = u.story"
)


async def _record_pg(db: Db, plan: EventPlan) -> None:
    # Each event's updates folded into one, as applying them in turn would leave it; with
    # the poll's newest item of each event it touched.
    updates: dict[int, tuple[str | None, float | None, int]] = {}
    for title, seen, added, event_id in plan.updates:
        before = updates.get(event_id)
        if before is not None:
            seen, added = max(seen, before[1] or seen), added + before[2]
        updates[event_id] = (title, seen, added)
    newest = outlets.newest_of(plan)
    for event_id in newest.keys() - updates.keys() - plan.created.keys():
        updates[event_id] = (None, None, 0)
    none = (None, None, None)
    created = []
    for event_id, (title, seen) in plan.created.items():
        later, last, added = updates.pop(event_id, (title, seen, 0))
        last_seen = seen if last is None else max(seen, last)
        created.append((event_id, later or title, seen, last_seen, added,
                        *_latest(newest.get(event_id, none))))  # fmt: skip
    grown = [
        (title, seen, added, e, *newest.get(e, none)) for e, (title, seen, added) in updates.items()
    ]
    links = {story_id: event_id for event_id, story_id in plan.story_links}  # the last holds
    linked = [(event_id, story_id) for story_id, event_id in links.items()]
    new_outlets = outlets.outlets_of(plan)
    if created or grown or linked or new_outlets:
        await db.execute(
            _RECORD_PG,
            (
                *columns(created, 8),
                *columns(grown, 7),
                *columns(new_outlets, 6),
                *columns(linked, 2),
            ),
        )


def _latest(newest: tuple[Any, Any, Any]) -> tuple[Any, Any, Any]:
    """(headline, when, item id): the order of the events table's columns."""
    at, item, headline = newest
    return headline, at, item


async def load_events(db: Db, event_ids: Sequence[int]) -> dict[int, Event]:
    """The events of ``event_ids`` as stored now, with their outlets and newest headline (one
    query for all of them)."""
    heads: dict[int, Any] = {}
    outlets: dict[int, list[tuple[str, str]]] = {}
    for marks, params in in_lists(event_ids):
        # Each event's row (kind 0, with its newest headline), then its outlets (kind 1: name,
        # feed and site), as its first item of each was stored: both as kept per poll
        # (``event_outlets``), not read from each of the event's items.
        for kind, event_id, title, first, last, stories, latest, _, _ in await db.fetch_all(
            "SELECT 0, id, title, first_seen, last_seen, stories, latest, 0.0, 0 FROM events"
            f" WHERE id IN ({marks}) UNION ALL SELECT 1, event_id, name, NULL, NULL, feed_id,"
            f" site, first_seen, item_id FROM event_outlets WHERE event_id IN ({marks})"
            " ORDER BY 1, 2, 8, 9",
            (*params, *params),
        ):
            if kind == 0:
                heads[event_id] = (title, first, last, stories, latest)
            else:
                key = row_key(stories, title, latest)
                outlets.setdefault(event_id, []).append((title, key))
    return {
        event_id: Event(
            event_id,
            title,
            _dt(first),
            _dt(last),
            stories,
            tuple(name for name, _ in outlets.get(event_id, ())),
            latest or "",
            tuple(key for _, key in outlets.get(event_id, ())),
        )
        for event_id, (title, first, last, stories, latest) in heads.items()
    }


async def rebuild_index(db: Db, index: EventIndex, since: datetime) -> int:
    """Load the items first seen since ``since`` (as the story window) into the event index,
    in the order they came; the number loaded. Stories without an event (stored before
    events existed) get none. An item whose time is not when its news happened
    (``items.untimed``, ``events.when``) is untimed again, as it was when assigned."""
    count = 0
    seen_stories: set[int] = set()
    async for rows in db.stream(
        "SELECT s.event_id, i.story_id, i.title, i.summary, COALESCE(i.published, i.first_seen)"
        " AS seen, i.feed_id, i.untimed FROM items i JOIN stories s ON s.id = i.story_id"
        " WHERE s.event_id IS NOT NULL AND i.first_seen >= ?"
        " ORDER BY seen, i.id",
        (since.timestamp(),),
        size=10_000,
    ):
        # each feed's boilerplate summaries known again before they are read
        index.read_ahead([(row[5], row[2], row[3]) for row in rows])
        for event_id, story_id, title, summary, seen, feed_id, untimed in rows:
            new = story_id not in seen_stories
            index.add(event_id, story_id, title, summary, seen, new_story=new, embed=False,
                      feed=feed_id, timed=not untimed)  # fmt: skip
            seen_stories.add(story_id)
            count += 1
    return count


async def list_events(db: Db, since: datetime | None) -> list[dict[str, Any]]:
    """The events (newest first) in ``monitor events --json`` form."""
    cutoff = since.timestamp() if since else 0.0
    # As a story's (``store.stories.list_stories``): ``first_seen`` and ``last_seen`` when the
    # monitor first and last saw one of its items, ``published`` the earliest time its items
    # give; newest first by the time shown.
    events = await db.fetch_all(
        "SELECT * FROM (SELECT id, title, COALESCE((SELECT MIN(i.first_seen) FROM items i"
        "  JOIN stories s ON s.id = i.story_id WHERE s.event_id = events.id), first_seen) AS seen,"
        " COALESCE((SELECT MAX(i.first_seen) FROM items i JOIN stories s ON s.id = i.story_id"
        "  WHERE s.event_id = events.id), last_seen) AS last"
        " FROM events WHERE last_seen >= ?) AS listed ORDER BY seen DESC, id DESC",
        (cutoff,),
    )
    out = []
    for event_id, title, seen, last_seen in events:
        stories = []
        for story_id, story_title in await db.fetch_all(
            "SELECT id, title FROM stories WHERE event_id = ? ORDER BY first_seen, id",
            (event_id,),
        ):
            items = await story_items_json(db, story_id)
            stories.append({"id": story_id, "title": story_title, "items": items})
        out.append(
            {
                "id": event_id,
                "title": title,
                "first_seen": _dt(seen).isoformat(),
                "published": min(
                    (i["published"] for s in stories for i in s["items"] if i["published"]),
                    key=datetime.fromisoformat,
                    default=None,
                ),
                "last_seen": _dt(last_seen).isoformat(),
                "stories": stories,
            }
        )
    return out
