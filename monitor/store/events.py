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
from monitor.store.alerts import ALERT_COLUMNS, Due, load_alert
from monitor.store.batch import in_lists
from monitor.store.db import Db
from monitor.store.stories import items_json as story_items_json


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


async def reserve_ids(db: Db, count: int) -> Iterator[int]:
    """Ids for up to ``count`` new events (inside the poll's transaction)."""
    return iter(await db.reserve_ids("events", count))


async def record(db: Db, plan: EventPlan) -> None:
    """Write the events ``assign.events`` decided: one statement per kind of change."""
    if plan.created:
        await db.execute_many(
            "INSERT INTO events (id, title, first_seen, last_seen, stories) VALUES (?, ?, ?, ?, 0)",
            [(e, title, seen, seen) for e, (title, seen) in plan.created.items()],
        )
    if plan.story_links:
        await db.execute_many("UPDATE stories SET event_id = ? WHERE id = ?", plan.story_links)
    await db.execute_many(
        "UPDATE events SET title = ?, last_seen = MAX(last_seen, ?), stories = stories + ?"
        " WHERE id = ?",
        plan.updates,
    )


async def load_events(db: Db, event_ids: Sequence[int]) -> dict[int, Event]:
    """The events of ``event_ids`` as stored now, with their outlets and newest headline."""
    heads: dict[int, Any] = {}
    outlets: dict[int, list[str]] = {}
    latest: dict[int, str] = {}
    for marks, params in in_lists(event_ids):
        for row in await db.fetch_all(
            f"SELECT id, title, first_seen, last_seen, stories FROM events WHERE id IN ({marks})",
            params,
        ):
            heads[row[0]] = row
        # An outlet per feed, by the name its first item of the event was stored under.
        for event_id, feed_name in await db.fetch_all(
            "SELECT f.event_id, i.feed_name FROM items i JOIN (SELECT s.event_id,"
            " MIN(i.id) AS first FROM items i JOIN stories s ON s.id = i.story_id"
            f" WHERE s.event_id IN ({marks}) AND i.feed_name IS NOT NULL"
            " GROUP BY s.event_id, i.feed_id) f ON f.first = i.id"
            " ORDER BY f.event_id, i.first_seen, i.id",
            params,
        ):
            outlets.setdefault(event_id, []).append(feed_name)
        for event_id, title in await db.fetch_all(
            "SELECT s.event_id, i.title FROM items i JOIN stories s ON s.id = i.story_id"
            f" WHERE s.event_id IN ({marks}) ORDER BY COALESCE(i.published, i.first_seen), i.id",
            params,
        ):
            latest[event_id] = title
    return {
        event_id: Event(
            event_id,
            title,
            _dt(first),
            _dt(last),
            stories,
            tuple(outlets.get(event_id, ())),
            latest.get(event_id, ""),
        )
        for event_id, (_, title, first, last, stories) in heads.items()
    }


async def rebuild_index(db: Db, index: EventIndex, since: datetime) -> int:
    """Load the items first seen since ``since`` (as the story window) into the event index,
    in the order they came; the number loaded. Stories without an event (stored before
    events existed) get none."""
    count = 0
    seen_stories: set[int] = set()
    async for rows in db.stream(
        "SELECT s.event_id, i.story_id, i.title, i.summary, COALESCE(i.published, i.first_seen)"
        " AS seen FROM items i JOIN stories s ON s.id = i.story_id"
        " WHERE s.event_id IS NOT NULL AND i.first_seen >= ?"
        " ORDER BY seen, i.id",
        (since.timestamp(),),
        size=10_000,
    ):
        for event_id, story_id, title, summary, seen in rows:
            index.add(event_id, story_id, title, summary, seen,
                      new_story=story_id not in seen_stories, embed=False)  # fmt: skip
            seen_stories.add(story_id)
            count += 1
    return count


async def events_alerts(db: Db, event_ids: Sequence[int]) -> dict[int, list[tuple[Due, str]]]:
    """The "new" and "burst" alerts raised per event for ``event_ids``, with their status:
    one query for all of them (an event alert's story_id is the story that raised it)."""
    out: dict[int, list[tuple[Due, str]]] = {}
    for marks, params in in_lists(event_ids):
        for row in await db.fetch_all(
            f"SELECT {', '.join('a.' + c for c in ALERT_COLUMNS.split(', '))}, a.status,"
            " s.event_id FROM stories s JOIN alerts a ON a.story_id = s.id"
            f" WHERE s.event_id IN ({marks}) AND a.kind IN ('new', 'burst')"
            " AND (a.dedup_key LIKE 'event:%' OR a.dedup_key LIKE 'burst:event:%')",
            params,
        ):
            due = Due(load_alert(row), row[3], int(row[4]), float(row[5]), float(row[6]), row[7])
            out.setdefault(int(row[9]), []).append((due, str(row[8])))
    return out


async def list_events(db: Db, since: datetime | None) -> list[dict[str, Any]]:
    """The events (newest first) in ``monitor events --json`` form."""
    cutoff = since.timestamp() if since else 0.0
    events = await db.fetch_all(
        "SELECT id, title, first_seen, last_seen FROM events WHERE last_seen >= ?"
        " ORDER BY first_seen DESC, id DESC",
        (cutoff,),
    )
    out = []
    for event_id, title, first_seen, last_seen in events:
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
                "first_seen": _dt(first_seen).isoformat(),
                "last_seen": _dt(last_seen).isoformat(),
                "stories": stories,
            }
        )
    return out
