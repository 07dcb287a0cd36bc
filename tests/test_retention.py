"""Retention prunes old items and stories in batches and keeps recent ones."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from monitor.models import Item
from monitor.retention import prune
from monitor.store import Store
from monitor.store import feeds as feed_store
from monitor.store import items as item_store


def _item(i: int, seen: float) -> Item:
    return Item(
        key=f"k{i}", title=f"Title {i}", summary="", url=None, canonical_url=None, guid=None,
        published=None, first_seen=datetime.fromtimestamp(seen, UTC),
    )  # fmt: skip


async def test_prune_removes_old_items_and_orphan_stories_only(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "m.db")
    now = time.time()
    old, recent = now - 40 * 86400, now - 3600
    try:
        async with store.transaction() as db:
            feed = (await feed_store.sync_feeds(db, ["http://x/feed"]))["http://x/feed"]
            inserted = await item_store.insert_new(
                db, feed.id, [_item(i, old) for i in range(25)] + [_item(100, recent)]
            )
            await db.execute(
                "INSERT INTO stories (id, title, first_seen, last_seen) VALUES (1, 'old', ?, ?)",
                (old, old),
            )
            await db.execute(
                "INSERT INTO stories (id, title, first_seen, last_seen) VALUES (2, 'new', ?, ?)",
                (recent, recent),
            )
            await db.execute("UPDATE items SET story_id = 2 WHERE key = 'k100'")
        assert len(inserted) == 26
        pruned = await prune(store, now - 30 * 86400, batch=10)
        assert (pruned.items, pruned.stories) == (25, 1)
        async with store.db.raw.execute("SELECT key FROM items") as cur:
            assert [r[0] for r in await cur.fetchall()] == ["k100"]
        async with store.db.raw.execute("SELECT id FROM stories") as cur:
            assert [r[0] for r in await cur.fetchall()] == [2]
        assert await store.integrity_ok()
    finally:
        await store.close()


async def test_database_is_created_private(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "new" / "m.db")
    try:
        async with store.transaction() as db:
            await feed_store.sync_feeds(db, ["http://x/feed"])
    finally:
        await store.close()
    assert (tmp_path / "new" / "m.db").stat().st_mode & 0o077 == 0
