"""The newest headlines of an event: what an update of its alert lists as new since the last
message (``outbox.grow``), and what it shows of the newest (its item, the words that fired).
Read only when an update is queued, once per grown event."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.store.db import Db
from monitor.store.items import OUTLET


async def newest_headlines(db: Db, event_id: int, limit: int) -> list[tuple[int, str]]:
    """The event's ``limit`` newest stories and their headlines, the newest first (by story:
    the order they reached the monitor, as ``stories.id`` grows)."""
    rows = await db.fetch_all(
        "SELECT id, title FROM stories WHERE event_id = ? ORDER BY id DESC LIMIT ?",
        (event_id, limit),
    )
    return [(int(row[0]), str(row[1])) for row in rows]


# The name of item ``i``'s outlet in its story ``s``'s event, found by identity
# (``outlets.row_key``): its site, else its <source>, else its feed.
_LISTED = (
    "SELECT o.name FROM event_outlets o WHERE o.event_id = s.event_id AND (o.site = i.site"
    " OR (i.site IS NULL AND o.site IS NULL AND (o.feed_id = i.feed_id AND i.source IS NULL"
    " OR o.feed_id IS NULL AND o.name = i.source))) LIMIT 1"
)


async def lead(db: Db, story_id: int) -> tuple[str, str | None, str, str] | None:
    """What an update shows of the angle it leads with (``story_id``): its first item's
    headline, link, outlet and summary; None when the story has no item kept. The outlet is
    named as the event lists it (its first item's name there, ``event_outlets``): Reuters'
    own feed is "From Reuters" where Google News' "Reuters" came first, as it is listed."""
    row = await db.fetch_one(
        f"SELECT i.title, i.url, COALESCE(({_LISTED}), {OUTLET}), i.summary"
        " FROM stories s JOIN items i ON i.id = s.first_item_id"
        " JOIN feeds f ON f.id = i.feed_id WHERE s.id = ?",
        (story_id,),
    )
    if row is None:
        return None
    return str(row[0]), (str(row[1]) if row[1] else None), str(row[2] or ""), str(row[3] or "")


async def growth_hits(
    db: Db, story_ids: Sequence[int], rules: Sequence[str]
) -> dict[int, list[str]]:
    """The hits of the matches of ``rules`` in these stories, by story: each match's JSON
    list of hits (``{term, text, ...}``), in the order they were recorded."""
    if not story_ids or not rules:
        return {}
    stories = ", ".join("?" * len(story_ids))
    named = ", ".join("?" * len(rules))
    rows = await db.fetch_all(
        f"SELECT story_id, hits FROM matches WHERE story_id IN ({stories})"
        f" AND rule IN ({named}) ORDER BY id",
        (*story_ids, *rules),
    )
    found: dict[int, list[str]] = {}
    for story, hits in rows:
        found.setdefault(int(story), []).append(str(hits))
    return found
