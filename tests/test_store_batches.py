"""The store answers a poll's questions in batches: a poll of 1,200 items, 700 of them
known, stores exactly the 500 new ones under the ids it reports; lists of any length are
asked about in chunks that find every row."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from monitor.models import Item
from monitor.store import Store
from monitor.store import feeds as feed_store
from monitor.store import items as item_store
from monitor.store.batch import in_lists


def _item(n: int) -> Item:
    now = datetime(2025, 11, 5, tzinfo=UTC)
    url = f"https://example.org/{n}"
    return Item(key=f"k{n}", title=f"Headline {n}", summary="", url=url, canonical_url=url,
                guid=None, published=now, first_seen=now)  # fmt: skip


async def test_a_big_poll_stores_only_its_new_items_under_the_ids_it_returns(
    tmp_path: Path,
) -> None:
    store = await Store.open(tmp_path / "m.db")
    try:
        async with store.transaction() as db:
            states = await feed_store.sync_feeds(db, ["http://a/feed", "http://b/feed"])
            a, b = states["http://a/feed"].id, states["http://b/feed"].id
            await item_store.insert_new(db, b, [_item(n) for n in range(50)])  # other feed
            first = await item_store.insert_new(db, a, [_item(n) for n in range(0, 1400, 2)])
        assert len(first) == 700
        poll = [_item(n) for n in range(1200)] + [_item(3)]  # 0..1198 even are known
        async with store.transaction() as db:
            new = await item_store.insert_new(db, a, poll)
        assert [i.key for _, i in new] == [f"k{n}" for n in range(1, 1200, 2)]
        stored = {
            r[0]: r[1]
            for r in await store.db.execute_fetchall(
                "SELECT id, key FROM items WHERE feed_id = ?", (a,)
            )
        }
        assert all(stored[item_id] == item.key for item_id, item in new)
        count = await store.db.execute_fetchall(
            "SELECT COUNT(*) FROM items WHERE feed_id = ?", (a,)
        )
        assert next(iter(count))[0] == 1300
        async with store.transaction() as db:
            assert await item_store.insert_new(db, a, poll) == []
    finally:
        await store.close()


async def test_in_lists_find_every_row_whatever_the_length(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "m.db")
    try:
        async with store.transaction() as db:
            feed = (await feed_store.sync_feeds(db, ["http://a/feed"]))["http://a/feed"]
            stored = await item_store.insert_new(db, feed.id, [_item(n) for n in range(1100)])
        ids = [item_id for item_id, _ in stored]
        for length in (1, 2, 3, 17, 500, 501, 1100):
            found: list[int] = []
            marks_seen = set()
            for marks, params in in_lists(ids[:length], chunk=500):
                assert len(params) == marks.count("?") and len(params) & (len(params) - 1) == 0
                marks_seen.add(marks.count("?"))
                rows = await store.db.execute_fetchall(
                    f"SELECT id FROM items WHERE id IN ({marks})", params
                )
                found += [r[0] for r in rows]
            assert sorted(found) == ids[:length], length
            assert max(marks_seen) <= 512
    finally:
        await store.close()
