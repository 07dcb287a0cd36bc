"""Which channels hold a "new" alert of an event (a story) already, whatever rule raised it:
a second rule that matches it adds no message of its own (``outbox.per_event``)."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.store.batch import in_lists
from monitor.store.db import Db


async def alerted(db: Db, places: Sequence[tuple[str, int]]) -> set[tuple[str, int]]:
    """The ``(channel, event id)`` of ``places`` whose channel holds a "new" alert per event
    (pending or sent) about one of the event's stories, of any rule. Found through the
    event's stories (``stories_event``, then ``alerts_story``): a few rows, not the outbox."""
    wanted = set(places)
    found: set[tuple[str, int]] = set()
    for marks, params in in_lists(sorted({event for _, event in places})):
        rows = await db.fetch_all(
            "SELECT DISTINCT a.channel, s.event_id FROM stories s JOIN alerts a"
            f" ON a.story_id = s.id WHERE s.event_id IN ({marks}) AND a.kind = 'new'"
            " AND a.status IN ('pending', 'sent') AND a.dedup_key LIKE 'event:%'",
            params,
        )
        found |= {(str(c), int(e)) for c, e in rows} & wanted
    return found


async def story_alerted(db: Db, places: Sequence[tuple[str, int]]) -> set[tuple[str, int]]:
    """The ``(channel, story id)`` of ``places`` whose channel holds a "new" alert per story
    (pending or sent) of the story, of any rule (``alerts_story``)."""
    wanted = set(places)
    found: set[tuple[str, int]] = set()
    for marks, params in in_lists(sorted({story for _, story in places})):
        rows = await db.fetch_all(
            f"SELECT DISTINCT channel, story_id FROM alerts WHERE story_id IN ({marks})"
            " AND kind = 'new' AND status IN ('pending', 'sent') AND dedup_key LIKE 'new:%'",
            params,
        )
        found |= {(str(c), int(s)) for c, s in rows} & wanted
    return found
