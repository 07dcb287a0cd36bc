"""Events in the store: every story joins one (inside the poll's transaction).

The decisions come from ``monitor.events.EventIndex`` (pure); this module allocates event
ids, writes the ``events`` rows and ``stories.event_id``, and reads them back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from monitor.events import EventIndex
from monitor.models import Event
from monitor.store.batch import in_lists
from monitor.store.outbox import ALERT_COLUMNS, Due, load_alert
from monitor.store.stories import StoryChange


@dataclass(frozen=True, slots=True)
class EventChange:
    """What assigning one item did to events: its event, whether that is new, and whether
    the item brought it a new story (an angle) or a new outlet."""

    story: StoryChange
    event_id: int
    is_new_event: bool


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


async def assign(
    db: aiosqlite.Connection, index: EventIndex, changes: Sequence[StoryChange]
) -> list[EventChange]:
    """Give each story of ``changes`` its event: the one it has, a similar one, or a new one.

    Runs inside the poll's transaction, after ``stories.assign``; one statement per kind of
    change. Event titles are chosen again for the events this poll touched.
    """
    rows = await db.execute_fetchall("SELECT COALESCE(MAX(id), 0) FROM events")
    next_id = int(next(iter(rows))[0]) + 1
    # With the semantic extra, the poll's new stories are embedded in one batch.
    index.embed_ahead([(c.story.id, c.item.item.title) for c in changes if c.is_new_story])
    out: list[EventChange] = []
    created: dict[int, float] = {}
    joined: dict[int, tuple[float, int]] = {}  # event -> (latest seen, stories added)
    story_links: list[tuple[int, int]] = []
    for change in changes:
        stored = change.item
        item = stored.item
        seen = stored.seen_at.timestamp()
        story_id = change.story.id
        found = index.find(story_id, item.title, item.summary, seen)
        if found.event_id is None:
            event_id, next_id = next_id, next_id + 1
            created[event_id] = seen
        else:
            event_id = found.event_id
        index.add(event_id, story_id, item.title, item.summary, seen,
                  new_story=change.is_new_story)  # fmt: skip
        if found.reason != "same story":
            story_links.append((event_id, story_id))
        if event_id not in created:
            latest, added = joined.get(event_id, (seen, 0))
            joined[event_id] = (max(latest, seen), added + (found.reason != "same story"))
        out.append(EventChange(change, event_id, event_id in created))
    if created:
        await db.executemany(
            "INSERT INTO events (id, title, first_seen, last_seen, stories) VALUES (?, ?, ?, ?, 0)",
            [(e, index.title(e), seen, seen) for e, seen in created.items()],
        )
    if story_links:
        await db.executemany("UPDATE stories SET event_id = ? WHERE id = ?", story_links)
    counts: dict[int, int] = {}
    for event_id, _story in story_links:
        counts[event_id] = counts.get(event_id, 0) + 1
    touched = set(created) | set(joined)
    await db.executemany(
        "UPDATE events SET title = ?, last_seen = MAX(last_seen, ?), stories = stories + ?"
        " WHERE id = ?",
        [
            (index.title(e), joined.get(e, (created.get(e, 0.0), 0))[0], counts.get(e, 0), e)
            for e in sorted(touched)
            if index.has(e)
        ],
    )
    return out


async def load_events(db: aiosqlite.Connection, event_ids: Sequence[int]) -> dict[int, Event]:
    """The events of ``event_ids`` as stored now, with their outlets and newest headline."""
    heads: dict[int, Any] = {}
    outlets: dict[int, list[str]] = {}
    latest: dict[int, str] = {}
    for marks, params in in_lists(event_ids):
        for row in await db.execute_fetchall(
            f"SELECT id, title, first_seen, last_seen, stories FROM events WHERE id IN ({marks})",
            params,
        ):
            heads[row[0]] = row
        for event_id, feed_name, _first in await db.execute_fetchall(
            "SELECT s.event_id, i.feed_name, MIN(i.first_seen) FROM items i"
            f" JOIN stories s ON s.id = i.story_id WHERE s.event_id IN ({marks})"
            " AND i.feed_name IS NOT NULL GROUP BY s.event_id, i.feed_id"
            " ORDER BY s.event_id, MIN(i.first_seen), MIN(i.id)",
            params,
        ):
            outlets.setdefault(event_id, []).append(feed_name)
        for event_id, title in await db.execute_fetchall(
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


async def rebuild_index(db: aiosqlite.Connection, index: EventIndex, since: datetime) -> int:
    """Load the items seen since ``since`` into the event index, in the order they came;
    the number loaded. Stories without an event (stored before events existed) get none."""
    count = 0
    seen_stories: set[int] = set()
    async with db.execute(
        "SELECT s.event_id, i.story_id, i.title, i.summary, COALESCE(i.published, i.first_seen)"
        " AS seen FROM items i JOIN stories s ON s.id = i.story_id"
        " WHERE s.event_id IS NOT NULL AND COALESCE(i.published, i.first_seen) >= ?"
        " ORDER BY seen, i.id",
        (since.timestamp(),),
    ) as cur:
        while rows := await cur.fetchmany(10_000):
            for event_id, story_id, title, summary, seen in rows:
                index.add(event_id, story_id, title, summary, seen,
                          new_story=story_id not in seen_stories, embed=False)  # fmt: skip
                seen_stories.add(story_id)
                count += 1
    return count


async def events_alerts(
    db: aiosqlite.Connection, event_ids: Sequence[int]
) -> dict[int, list[tuple[Due, str]]]:
    """The "new" and "burst" alerts raised per event for ``event_ids``, with their status:
    one query for all of them (an event alert's story_id is the story that raised it)."""
    out: dict[int, list[tuple[Due, str]]] = {}
    for marks, params in in_lists(event_ids):
        for row in await db.execute_fetchall(
            f"SELECT {', '.join('a.' + c for c in ALERT_COLUMNS.split(', '))}, a.status,"
            " s.event_id FROM stories s JOIN alerts a ON a.story_id = s.id"
            f" WHERE s.event_id IN ({marks}) AND a.kind IN ('new', 'burst')"
            " AND (a.dedup_key LIKE 'event:%' OR a.dedup_key LIKE 'burst:event:%')",
            params,
        ):
            due = Due(load_alert(row), row[3], int(row[4]), float(row[5]), float(row[6]), row[7])
            out.setdefault(int(row[9]), []).append((due, str(row[8])))
    return out


async def list_events(db: aiosqlite.Connection, since: datetime | None) -> list[dict[str, Any]]:
    """The events (newest first) in ``monitor events --json`` form."""
    cutoff = since.timestamp() if since else 0.0
    events = await db.execute_fetchall(
        "SELECT id, title, first_seen, last_seen FROM events WHERE last_seen >= ?"
        " ORDER BY first_seen DESC, id DESC",
        (cutoff,),
    )
    out = []
    for event_id, title, first_seen, last_seen in events:
        stories = []
        for story_id, story_title in await db.execute_fetchall(
            "SELECT id, title FROM stories WHERE event_id = ? ORDER BY first_seen, id",
            (event_id,),
        ):
            items = [
                {
                    "feed": feed,
                    "title": item_title,
                    "url": url,
                    "published": _dt(published).isoformat() if published else None,
                }
                for feed, item_title, url, published in await db.execute_fetchall(
                    "SELECT COALESCE(i.feed_name, f.title, f.url), i.title, i.url, i.published"
                    " FROM items i JOIN feeds f ON f.id = i.feed_id WHERE i.story_id = ?"
                    " ORDER BY i.first_seen, i.id",
                    (story_id,),
                )
            ]
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
