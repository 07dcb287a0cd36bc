"""The disk full or the database read-only: a clear error, no corruption, nothing lost after.

SQLite's own limits stand in for the faults (root ignores file permissions, and a full disk
cannot be made without privileges): ``max_page_count`` makes writes fail with SQLITE_FULL
exactly as a full disk does, ``query_only`` refuses every write.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from feedserver import FeedServer, rss
from helpers import make_config
from test_poll import count_items

from monitor.engine import Engine
from monitor.errors import StoreError
from monitor.pipeline import refresh_feed
from monitor.store import Store
from monitor.store import feeds as feed_store

BIG = [(f"Story number {i} " + "x" * 300, f"http://example.org/{i}") for i in range(400)]


@pytest.mark.parametrize(
    ("fault", "undo", "message"),
    [
        ("PRAGMA max_page_count = {pages}", "PRAGMA max_page_count = 1073741823", "full"),
        ("PRAGMA query_only = ON", "PRAGMA query_only = OFF", "readonly"),
    ],
)
async def test_store_fault_is_clear_and_loses_nothing(
    feed_server: FeedServer, tmp_path: Path, fault: str, undo: str, message: str
) -> None:
    feed_server.feed("/feed", rss("Big", BIG))
    config = make_config(tmp_path, [feed_server.url("/feed")])
    engine = await Engine.open(config)
    rt = engine.rt
    try:
        async with rt.store.db.raw.execute("PRAGMA page_count") as cur:
            pages = (await cur.fetchone())[0]
        await rt.store.db.raw.execute(fault.format(pages=pages + 2))
        failed = await refresh_feed(rt, config.feeds[0])
        assert failed.result == "error"
        assert failed.error and failed.error.startswith("store:") and message in failed.error
        assert await count_items(rt) == 0
        assert await rt.store.integrity_ok()
        await rt.store.db.raw.execute(undo)
        again = await refresh_feed(rt, config.feeds[0])
        assert again.result == "new" and again.new_items == len(BIG)
        assert await rt.store.integrity_ok()
    finally:
        await engine.close()


async def test_a_transaction_that_writes_nothing_does_not_clear_a_write_failure(
    tmp_path: Path,
) -> None:
    store = await Store.open(tmp_path / "monitor.db")
    try:
        async with store.transaction() as db:
            await feed_store.sync_feeds(db, ["http://a/feed"])
        holder = sqlite3.connect(tmp_path / "monitor.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another program keeps the write lock
        try:
            await store.db.execute("PRAGMA busy_timeout = 100")
            with pytest.raises(StoreError, match="locked"):
                async with store.transaction() as db:
                    await db.execute("UPDATE feeds SET title = 'x'")
            assert "writes to the database fail" in (store.problem() or "")
            async with store.transaction():
                pass  # nothing sent: proves nothing about the write path
            assert "writes to the database fail" in (store.problem() or "")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        async with store.transaction() as db:
            await db.execute("UPDATE feeds SET title = 'y'")
        assert store.problem() is None  # a write that reached the database clears it
    finally:
        await store.close()
