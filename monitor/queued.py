"""queued: the items a cluster's polls stored for its assigner and that a copy brought to
SQLite before any assigner gave them a story (``monitor copy-store`` from PostgreSQL).

SQLite has no assigner: they are filed when the store is opened (``Engine.open``), in id
order, through the same stages as a poll's new items (stories, events, matches, alerts), a
batch per transaction; then the queue, empty, is dropped. Without this they would stay
stored with no story: never in a story, never matched, and never new again to a poll.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from monitor.config import FeedConfig
from monitor.models import StoredItem
from monitor.newitems import run_stages
from monitor.stages import Stages
from monitor.store import Store, cluster_queue

log = logging.getLogger("monitor.queued")

BATCH = 500  # queued items per transaction, as the assigner's


def as_stored(
    queued: Sequence[cluster_queue.Queued], feeds: Sequence[FeedConfig]
) -> list[StoredItem]:
    """The queued items with their feeds' names and tags as configured (a feed gone from the
    config: its own title, else its URL, and no tags), as ``runtime.feed_name`` makes them."""
    by_url = {f.url: f for f in feeds}
    items = []
    for q in queued:
        feed = by_url.get(q.stored.feed_url)
        name = (feed.name if feed else None) or q.feed_title or q.stored.feed_url
        tags = tuple(feed.tags) if feed else ()
        s = q.stored
        items.append(StoredItem(s.id, s.feed_id, name, tags, s.item, s.feed_url, s.untimed))
    return items


async def file_queued(store: Store, stages: Stages, feeds: Sequence[FeedConfig], now: float) -> int:
    """On SQLite, file the items a copy brought queued (see above); how many were filed."""
    if store.db.dialect != "sqlite":
        return 0  # PostgreSQL: the elected assigner takes them
    if not await cluster_queue.copied_to_sqlite(store.db):
        return 0
    filed = 0
    while True:
        async with store.transaction() as db:
            queued = await cluster_queue.take(db, BATCH)
            if not queued:
                await cluster_queue.drop(db)
                break
            items = as_stored(queued, feeds)
            await run_stages(stages.process, db, items, now)
            await cluster_queue.done(db, [i.id for i in items])
        filed += len(items)
    if filed:
        log.info("filed %d items a cluster had queued for its assigner (copy-store)", filed)
    return filed
