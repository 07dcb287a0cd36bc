"""A poll's stories: their rows and outlets as stored (``read_outlets``), and as the poll's
writes leave them (``after``), worked out from what was read before them rather than read
again; their outlets' names in order only where an alert shows them (``fill_outlets``).
``load_stories`` reads stories whole, outlets and all, for callers outside a poll."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from monitor.models import Story
from monitor.store.batch import in_lists
from monitor.store.db import Db
from monitor.store.outlets import row_key

# A story's row as stored: title, first seen, last seen, its first item's URL.
Head = tuple[str, float, float, str | None]


def after(
    joined: Sequence[int], heads: dict[int, Head], latest: dict[int, float]
) -> dict[int, Story]:
    """The stories ``joined`` as the poll's writes (``stories.record``) leave them, from their
    rows before them (``heads``) and the newest date of their items (``latest``), without
    their outlets (``fill_outlets`` reads them, for the few stories an alert needs them of)."""
    stories = {}
    for story_id in joined:
        head = heads.get(story_id)
        if head is None:
            continue  # gone from the store: as ``load_stories`` would, it has no Story
        title, first_seen, last_seen, url = head
        seen = max(last_seen, latest[story_id])
        stories[story_id] = Story(story_id, title, url, _dt(first_seen), _dt(seen), ())
    return stories


async def read_outlets(
    db: Db, story_ids: Sequence[int]
) -> tuple[dict[int, Head], dict[int, set[str]]]:
    """The rows of ``story_ids`` as stored now, and the outlets that have carried each, by
    identity (``outlets.row_key``; one query for all of them): what a poll that joins them
    needs to tell which gain an outlet. Not in order: most stories a poll joins raise no
    alert that shows them."""
    heads: dict[int, Head] = {}
    outlets: dict[int, set[str]] = {}
    for marks, params in in_lists(story_ids):
        # Each story's row (kind 0), then its outlets (kind 1).
        for kind, story_id, title, first_seen, last_seen, url, name, feed_id in await db.fetch_all(
            "SELECT 0, s.id, s.title, s.first_seen, s.last_seen, i.url, NULL, NULL"
            f" FROM stories s LEFT JOIN items i ON i.id = s.first_item_id WHERE s.id IN ({marks})"
            " UNION ALL SELECT 1, story_id, NULL, NULL, NULL, site, name, feed_id"
            f" FROM story_outlets WHERE story_id IN ({marks})",
            (*params, *params),
        ):
            if kind == 0:
                heads[story_id] = (title, first_seen, last_seen, url)
            else:  # the site in the first item's link's column
                outlets.setdefault(story_id, set()).add(row_key(feed_id, name, url))
    return heads, outlets


async def fill_outlets(db: Db, stories: Iterable[Story]) -> None:
    """The outlets of those of ``stories`` that ``stories.record`` left without them (a
    stored story has one at least), in the order the outlets first carried each, in place."""
    waiting: dict[int, list[Story]] = {}
    for story in stories:
        if not story.outlets:
            waiting.setdefault(story.id, []).append(story)
    if not waiting:
        return
    names: dict[int, list[tuple[str, str]]] = {}
    for marks, params in in_lists(sorted(waiting)):
        for story_id, name, feed_id, site in await db.fetch_all(
            f"SELECT story_id, name, feed_id, site FROM story_outlets WHERE story_id IN ({marks})"
            " ORDER BY story_id, first_seen, item_id",
            params,
        ):
            names.setdefault(story_id, []).append((name, row_key(feed_id, name, site)))
    for story_id, same in waiting.items():
        rows = names.get(story_id, ())
        carried = tuple(name for name, _ in rows)
        keys = tuple(key for _, key in rows)
        for story in same:
            story.outlets = carried
            story.outlet_keys = keys


async def load_stories(db: Db, story_ids: Sequence[int]) -> dict[int, Story]:
    """The stories of ``story_ids`` as they are stored now, with their outlets."""
    heads, _ = await read_outlets(db, story_ids)
    stories = {
        story_id: Story(story_id, title, url, _dt(first_seen), _dt(last_seen), ())
        for story_id, (title, first_seen, last_seen, url) in heads.items()
    }
    await fill_outlets(db, stories.values())
    return stories


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
