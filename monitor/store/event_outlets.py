"""What an event's alerts show of it besides its row: the outlets that carried it (by
identity, ``StoredItem.outlet_key``: the first item of each, in the order they came) and its newest
headline. Kept as each poll's items join (``event_outlets`` and ``events.latest*``) rather
than recounted from every item of the event at each alert: an event of a busy day holds
thousands of items, and reading them all for each poll that grows it was the database's
largest cost, growing with the event.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from monitor.store.batch import in_lists
from monitor.store.db import Db
from monitor.store.outlets import OutletRow, first_per_outlet, outlet_rows

if TYPE_CHECKING:
    from monitor.assign import EventPlan

# The first item of each outlet in each event, from the items (``{where}`` picks the events):
# by identity (``StoredItem.outlet_key``): its site, else an aggregator's ``<source>``, else
# the feed, named as its first item was stored; feed_id NULL for a site or a <source> (see
# ``outlets``).
_FEED = "CASE WHEN i.site IS NULL AND i.source IS NULL THEN i.feed_id END"
FIRST_PER_OUTLET = (
    f"SELECT f.event_id, {_FEED}, COALESCE(i.source, i.feed_name), i.first_seen, i.id, i.site"
    " FROM items i JOIN (SELECT s.event_id, MIN(i.id) AS first FROM items i JOIN stories s"
    " ON s.id = i.story_id WHERE {where} AND i.feed_name IS NOT NULL"
    f" GROUP BY s.event_id, i.site, CASE WHEN i.site IS NULL THEN i.source END, {_FEED}) f"
    " ON f.first = i.id"
)
# Each event's newest item, from its items (``{where}`` picks the events).
NEWEST = (
    "UPDATE events SET (latest, latest_at, latest_item) = (SELECT i.title,"
    " COALESCE(i.published, i.first_seen), i.id FROM items i JOIN stories s"
    " ON s.id = i.story_id WHERE s.event_id = events.id"
    " ORDER BY COALESCE(i.published, i.first_seen) DESC, i.id DESC LIMIT 1) WHERE {where}"
)
OUTLET_COLUMNS = "event_id, feed_id, name, first_seen, item_id, site"

_OUTLETS = outlet_rows("event_outlets", "event_id")

Newest = dict[int, tuple[float, int, str]]  # event -> (seen, item id, headline)


def outlets_of(plan: EventPlan) -> list[OutletRow]:
    """The poll's first item of each (event, outlet), in the poll's order."""
    return first_per_outlet((c.event_id, c.story.item) for c in plan.changes)


def newest_of(plan: EventPlan) -> Newest:
    """The poll's newest item of each event it touched (by when it happened, then id)."""
    newest: Newest = {}
    for change in plan.changes:
        stored = change.story.item
        candidate = (stored.seen_at.timestamp(), stored.id, stored.item.title)
        before = newest.get(change.event_id)
        if before is None or candidate[:2] > before[:2]:
            newest[change.event_id] = candidate
    return newest


async def add_outlets(db: Db, plan: EventPlan) -> None:
    """The outlets the poll's items bring to their events (SQLite; PostgreSQL writes them in
    the events' own statement)."""
    await _OUTLETS.insert(db, outlets_of(plan))


async def moved_from(db: Db, plan: EventPlan) -> list[int]:
    """Before the links are written: the events that stories stored before this poll are
    about to join (a story whose event had closed), and the events they leave. Their
    outlets and newest headline are counted again from their items (``recount``)."""
    created = {c.story.story.id for c in plan.changes if c.story.is_new_story}
    old = sorted({story for _, story in plan.story_links if story not in created})
    if not old:
        return []
    events = {event for event, story in plan.story_links if story not in created}
    for marks, params in in_lists(old):
        rows = await db.fetch_all(
            f"SELECT event_id FROM stories WHERE id IN ({marks}) AND event_id IS NOT NULL", params
        )
        events.update(int(r[0]) for r in rows)
    return sorted(events)


async def recount(db: Db, event_ids: Sequence[int]) -> None:
    """The outlets and newest headline of these events, counted again from their items. An
    outlet whose item retention has deleted stays (as it does for an event nobody recounts):
    the outlets an alert shows never shrink because a story moved."""
    for marks, params in in_lists(event_ids):
        await db.execute(
            f"DELETE FROM event_outlets WHERE event_id IN ({marks})"
            " AND EXISTS (SELECT 1 FROM items i WHERE i.id = event_outlets.item_id)",
            params,
        )
        where = f"s.event_id IN ({marks})"
        # "WHERE true": SQLite reads an ON after a SELECT's join as the join's own.
        await db.execute(
            f"INSERT INTO event_outlets ({OUTLET_COLUMNS}) {FIRST_PER_OUTLET.format(where=where)}"
            " WHERE true ON CONFLICT DO NOTHING",
            params,
        )
        await db.execute(NEWEST.format(where=f"id IN ({marks})"), params)
