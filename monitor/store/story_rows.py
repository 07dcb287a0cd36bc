"""A poll's stories as stored: read (``load_stories``), and as the poll's writes leave them
(``after``), worked out from what was read before them rather than read again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from monitor.models import Story
from monitor.store.batch import in_lists
from monitor.store.db import Db
from monitor.store.outlets import OutletRow

# A story's row as ``load_stories`` reads it: title, first seen, last seen, its first item's
# URL; and its outlets, (feed, name, first seen, item) in the order they first carried it.
Head = tuple[str, float, float, str | None]
Outlet = tuple[int, str, float, int]


async def read(db: Db, story_ids: Sequence[int]) -> tuple[dict[int, Head], dict[int, list[Outlet]]]:
    """The rows and outlets of ``story_ids`` as stored now (one query for all of them)."""
    heads: dict[int, Head] = {}
    outlets: dict[int, list[Outlet]] = {}
    for marks, params in in_lists(story_ids):
        # Each story's row (kind 0), then an outlet per feed (kind 1), in the order they first
        # carried the story, by the name its first item was stored under (``story_outlets``).
        for kind, story_id, title, first_seen, last_seen, url, at, item, feed in await db.fetch_all(
            "SELECT 0, s.id, s.title, s.first_seen, s.last_seen, i.url, 0.0, 0, 0 FROM stories s"
            f" LEFT JOIN items i ON i.id = s.first_item_id WHERE s.id IN ({marks})"
            " UNION ALL SELECT 1, story_id, name, NULL, NULL, NULL, first_seen, item_id, feed_id"
            f" FROM story_outlets WHERE story_id IN ({marks}) ORDER BY 1, 2, 7, 8",
            (*params, *params),
        ):
            if kind == 0:
                heads[story_id] = (title, first_seen, last_seen, url)
            else:
                outlets.setdefault(story_id, []).append((feed, title, at, item))
    return heads, outlets


def _story(story_id: int, head: Head, outlets: Sequence[Outlet]) -> Story:
    title, first_seen, last_seen, url = head
    carried = tuple(name for _, name, _, _ in outlets)
    return Story(story_id, title, url, _dt(first_seen), _dt(last_seen), carried)


def after(
    joined: Sequence[int],
    heads: dict[int, Head],
    had: dict[int, list[Outlet]],
    added: Sequence[OutletRow],
    latest: dict[int, float],
) -> dict[int, Story]:
    """The stories ``joined`` as the poll's writes (``stories.record``) leave them, from their
    rows before them (``heads``, ``had``), the outlet rows they add and the newest date of
    their items (``latest``): what ``load_stories`` would read back. The outlets of a feed
    the story had stay as they were (the insert ignores them); the rest are ordered as the
    query orders them."""
    new: dict[int, list[Outlet]] = {}
    for story_id, feed, name, first_seen, item in added:
        new.setdefault(story_id, []).append((feed, name, first_seen, item))
    stories = {}
    for story_id in joined:
        head = heads.get(story_id)
        if head is None:
            continue  # gone from the store: as ``load_stories`` would, it has no Story
        title, first_seen, last_seen, url = head
        outlets = had.get(story_id, [])
        if story_id in new:
            feeds = {o[0] for o in outlets}
            fresh = [o for o in new[story_id] if o[0] not in feeds]
            if fresh:
                outlets = sorted(outlets + fresh, key=_by_first_seen)
        seen = max(last_seen, latest[story_id])
        stories[story_id] = _story(story_id, (title, first_seen, seen, url), outlets)
    return stories


def _by_first_seen(outlet: Outlet) -> tuple[float, int]:
    return outlet[2], outlet[3]


async def load_stories(db: Db, story_ids: Sequence[int]) -> dict[int, Story]:
    """The stories of ``story_ids`` as they are stored now (one query for all of them)."""
    heads, outlets = await read(db, story_ids)
    return {
        story_id: _story(story_id, head, outlets.get(story_id, ()))
        for story_id, head in heads.items()
    }


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
