"""The story window is rebuilt at start (``monitor run``, or ``monitor once`` at its first new
item) from every item of the last 72 hours: the rows are read a batch at a time, so what the
rebuild holds besides the window does not grow with the window, and a restart's peak memory is
the window's, not the window's and every row of it at once."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import KEY_VERSION, parse
from monitor.dedup.index import StoryIndex
from monitor.store import Store
from monitor.store import feeds as feed_store
from monitor.store.stories import rebuild_index

# Headlines as outlets write them; each stored item is one of them with its own URL.
HEADLINES = [
    "Putin invites Zelensky to Moscow for talks",
    "Mayor calls emergency summit over rail strike",
    "Suicide bomber kills 12 in Nigeria church",
    "Fed official says weak data caused by weather",
    "Mt. Gox files for US bankruptcy to halt class action",
]


async def fill(path: Path, items: int, now: datetime) -> None:
    """``items`` items in the window, three to a story, with the keys the store keeps."""
    store = await Store.open(path)
    try:
        async with store.transaction() as db:
            feed = (await feed_store.sync_feeds(db, ["http://wire/feed"]))["http://wire/feed"]
            seen = (now - timedelta(hours=1)).timestamp()
            stories = [
                (s, HEADLINES[s % len(HEADLINES)], seen, seen) for s in range(1, items // 3 + 2)
            ]
            await db.execute_many(
                "INSERT INTO stories (id, title, first_seen, last_seen) VALUES (?, ?, ?, ?)",
                stories,
            )
            keys = [f"{KEY_VERSION}|{parse(h).key()}" for h in HEADLINES]
            await db.execute_many(
                "INSERT INTO items (feed_id, key, url, canonical_url, title, summary, first_seen,"
                " story_id, headline_key) VALUES (?, ?, ?, ?, ?, '', ?, ?, ?)",
                [
                    (
                        feed.id,
                        f"k{i}",
                        f"https://wire.example/{i}",
                        f"https://wire.example/{i}",
                        HEADLINES[i % len(HEADLINES)],
                        seen + i / 1000,
                        i // 3 + 1,
                        keys[i % len(keys)],
                    )
                    for i in range(items)
                ],
            )
    finally:
        await store.close()


async def rebuild_overhead(path: Path, since: datetime) -> tuple[int, int]:
    """Rows loaded, and the memory the rebuild held at its peak beyond the window it built."""
    store = await Store.open(path)
    try:
        tracemalloc.start()
        try:
            index = StoryIndex(DedupConfig())
            loaded = await rebuild_index(store.db, index, since)
            kept, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        await store.close()
    return loaded, peak - kept


async def test_the_rebuild_holds_no_more_with_a_larger_window(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    overhead = {}
    for items in (15_000, 60_000):
        path = tmp_path / f"{items}.db"
        await fill(path, items, now)
        loaded, overhead[items] = await rebuild_overhead(path, now - timedelta(hours=72))
        assert loaded == items
    # Four times the rows; what is held besides the window stays about the same (12 MB at
    # both sizes here; with every row read at once it was 19 MB, then 75 MB).
    assert overhead[60_000] < 1.5 * overhead[15_000] + 1_000_000, overhead
