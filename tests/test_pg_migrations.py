"""PostgreSQL: nodes started at once on an empty database migrate it once (the others wait
for the advisory lock, then find the work done)."""

from __future__ import annotations

import asyncio

from monitor.store import Store
from monitor.store.migrations import MIGRATIONS


async def test_three_stores_opened_at_once_apply_each_migration_once(pg_url: str) -> None:
    stores = await asyncio.gather(*(Store.open(pg_url) for _ in range(3)))
    try:
        rows = await stores[0].db.fetch_all("SELECT name FROM migrations ORDER BY name")
        assert [r[0] for r in rows] == sorted(m.__name__ for m in MIGRATIONS)
        async with stores[1].transaction() as db:  # and every one of them can write
            await db.execute(
                "INSERT INTO feeds (url, created_at) VALUES (?, ?)", ("http://a/", 1.0)
            )
        assert await stores[2].db.fetch_val("SELECT COUNT(*) FROM feeds") == 1
    finally:
        for store in stores:
            await store.close()
