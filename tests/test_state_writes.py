"""Polls that store nothing (304, same bytes) write their state in batches: nothing is lost."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from feedserver import FeedServer, rss
from helpers import make_config

from monitor.engine import Engine
from monitor.errors import StoreError
from monitor.pipeline import refresh_feed
from monitor.store import Store
from monitor.store.feeds import FeedState, StateWrites, all_feeds, save_state


async def stored_state(path: Path, column: str) -> object:
    store = await Store.open(path)
    try:
        async with store.db.raw.execute(f"SELECT {column} FROM feeds") as cur:
            row = await cur.fetchone()
        return row[0]
    finally:
        await store.close()


async def test_a_304_is_recorded_by_close_and_kept_across_a_restart(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.feed("/feed", rss("Wire", [("Alpha", "http://example.org/a")]))
    config = make_config(tmp_path, [feed_server.url("/feed")])
    engine = await Engine.open(config)
    try:
        assert (await refresh_feed(engine.rt, config.feeds[0])).result == "new"
        engine.rt.clock = lambda: 2_000_000_000.0
        assert (await refresh_feed(engine.rt, config.feeds[0])).result == "not_modified"
    finally:
        await engine.close()
    assert await stored_state(config.database_path, "last_checked") == 2_000_000_000.0
    engine = await Engine.open(config)
    try:
        assert (await refresh_feed(engine.rt, config.feeds[0])).result == "not_modified"
    finally:
        await engine.close()


async def one_feed(store: Store) -> FeedState:
    """A store holding one feed, and its state."""
    async with store.transaction() as db:
        await db.execute("INSERT INTO feeds (url, created_at) VALUES ('http://a/', 0)")
    (state,) = await all_feeds(store.db)
    return state


async def test_a_batch_is_written_without_waiting_for_close(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "m.db")
    try:
        state = await one_feed(store)
        writes = StateWrites(store, batch=1)
        state.etag = '"v2"'
        writes.add(state)
        await writes.close()  # waits for the write the full batch started
        async with store.db.raw.execute("SELECT etag FROM feeds") as cur:
            assert (await cur.fetchone())[0] == '"v2"'
    finally:
        await store.close()


async def test_a_full_save_is_not_overwritten_by_an_older_snapshot(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "m.db")
    try:
        state = await one_feed(store)
        writes = StateWrites(store, delay=60)
        state.last_checked = 1.0
        writes.add(state)
        state.last_checked, state.body_hash = 2.0, "new"
        async with store.transaction() as db:
            writes.discard(state.id)
            await save_state(db, state)
        # The health check saves what it said; a waiting snapshot does not undo it.
        state.last_checked = 3.0
        writes.add(state)
        state.health_alerted = 1
        async with store.transaction() as db:
            await save_state(db, state)
        await writes.close()
        async with store.db.raw.execute(
            "SELECT last_checked, body_hash, health_alerted FROM feeds"
        ) as c:
            assert tuple(await c.fetchone()) == (3.0, "new", 1)
    finally:
        await store.close()


async def test_a_batch_the_store_refused_is_written_once_it_accepts(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "m.db")
    try:
        state = await one_feed(store)
        writes = StateWrites(store, delay=60)
        state.etag = '"v3"'
        writes.add(state)
        # The write itself fails, inside the transaction (as a full disk would make it).
        await store.db.raw.execute(
            "CREATE TEMP TRIGGER refuse BEFORE UPDATE ON feeds"
            " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
        with pytest.raises(StoreError):
            await writes.flush()
        await store.db.raw.execute("DROP TRIGGER refuse")
        await writes.close()
        async with store.db.raw.execute("SELECT etag FROM feeds") as cur:
            assert (await cur.fetchone())[0] == '"v3"'
    finally:
        await store.close()


async def test_a_batch_the_store_keeps_refusing_is_logged_once_and_tried_less_often(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = await Store.open(tmp_path / "m.db")
    try:
        state = await one_feed(store)
        writes = StateWrites(store, delay=0.05)
        await store.db.raw.execute(
            "CREATE TEMP TRIGGER refuse BEFORE UPDATE ON feeds"
            " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
        state.etag = '"v4"'
        writes.add(state)
        await asyncio.sleep(1.0)  # twenty tries at the batch's pace; fewer, backing off
        told = [r for r in caplog.records if "cannot record the feeds' health" in r.message]
        assert len(told) == 1, [r.message for r in told]
        await store.db.raw.execute("DROP TRIGGER refuse")
        for _ in range(40):  # the next try, within the backoff reached (0.8 s)
            async with store.db.raw.execute("SELECT etag FROM feeds") as cur:
                if (await cur.fetchone())[0] == '"v4"':
                    break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the refused batch was not written once the store took it")
        await writes.close()
    finally:
        await store.close()
