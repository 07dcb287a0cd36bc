"""m023/m024 rebuild items_story and stories_event as partial indexes. A store that an older
version left, and that its clean closes ANALYZEd, must rebuild the event window at its first
start after the upgrade as cheaply as later: DROP INDEX takes an index's statistics with it,
and without them SQLite's planner read every story filed under an event and all their items
(the whole retention) instead of the window's items (review24d). Work counted in SQLite's VM
steps, which the machine's load does not move."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
from helpers import schema_before

from monitor.events.cluster import EventIndex
from monitor.events.config import EventConfig
from monitor.store import Store, open_store
from monitor.store import events as event_store
from monitor.store.migrations import m023_items_story_assigned
from monitor.store.sqlite import SqliteDb

DAY = 86400.0
STORIES, PER_STORY, FEEDS = 6000, 10, 300  # a story every ~7 minutes for 30 days (retention)
STEP = 100


async def _older_store(path: Path) -> None:
    async with aiosqlite.connect(path, isolation_level=None) as raw:
        await schema_before(SqliteDb(raw), m023_items_story_assigned)


def _fill(path: Path, now: float) -> None:
    """30 days of stories, two to an event, ten items each; ANALYZEd as a clean close leaves it."""
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("BEGIN")
    con.executemany(
        "INSERT INTO feeds (id, url, created_at) VALUES (?, ?, 0)",
        [(f, f"http://f/{f}") for f in range(1, FEEDS + 1)],
    )
    for s in range(1, STORIES + 1):
        t = now - 30 * DAY * (STORIES - s) / STORIES
        event = (s + 1) // 2
        if s % 2:
            con.execute(
                "INSERT INTO events (id, title, first_seen, last_seen) VALUES (?, 'e', ?, ?)",
                (event, t, t),
            )
        con.execute(
            "INSERT INTO stories (id, title, first_item_id, first_seen, last_seen, event_id)"
            " VALUES (?, 't', ?, ?, ?, ?)",
            (s, (s - 1) * PER_STORY + 1, t, t, event),
        )
        con.executemany(
            "INSERT INTO items (id, feed_id, key, title, summary, first_seen, story_id)"
            " VALUES (?, ?, ?, 'a headline of some length', 'a summary', ?, ?)",
            [
                ((s - 1) * PER_STORY + k + 1, (s * 7 + k) % FEEDS + 1, f"k{s}-{k}", t + k, s)
                for k in range(PER_STORY)
            ],
        )
    con.execute("COMMIT")
    con.execute("ANALYZE")
    con.close()


async def _rebuild_steps(store: Store, since: datetime) -> int:
    """SQLite's VM steps to rebuild the event window of the items first seen since ``since``."""
    counted = [0]

    def tick() -> int:
        counted[0] += 1
        return 0

    await store.raw.set_progress_handler(tick, STEP)
    try:
        loaded = await event_store.rebuild_index(
            store.db, EventIndex(EventConfig(), 72 * 3600), since
        )
    finally:
        await store.raw.set_progress_handler(None, 0)
    assert loaded > 0
    return counted[0] * STEP


def test_the_first_start_after_the_upgrade_rebuilds_the_event_window_as_cheaply_as_later(
    tmp_path: Path,
) -> None:
    path = tmp_path / "monitor.db"
    now = time.time()
    asyncio.run(_older_store(path))
    _fill(path, now)
    since = datetime.fromtimestamp(now - 3 * DAY, UTC)

    async def steps() -> tuple[int, int]:
        store = await open_store(str(path))  # the upgrade: m023, m024
        try:
            upgraded = await _rebuild_steps(store, since)
            await store.db.execute("ANALYZE")  # what a clean close's PRAGMA optimize comes to
            return upgraded, await _rebuild_steps(store, since)
        finally:
            await store.close()

    upgraded, analyzed = asyncio.run(steps())
    assert upgraded <= 1.2 * analyzed, (upgraded, analyzed)
