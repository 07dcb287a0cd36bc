"""Retention runs soon after the daemon starts, not only an hour later: a daemon restarted
more often than hourly (upgrades, a crash loop, systemd Restart=) still prunes."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from feedserver import FeedServer, rss
from helpers import make_config

from monitor import daemon as daemon_module
from monitor.daemon import Daemon
from monitor.models import Item
from monitor.store import Store
from monitor.store import feeds as feed_store
from monitor.store import items as item_store


def _item(i: int, seen: float) -> Item:
    return Item(
        key=f"old{i}", title=f"Old story {i}", summary="", url=None, canonical_url=None,
        guid=None, published=None, first_seen=datetime.fromtimestamp(seen, UTC),
    )  # fmt: skip


async def test_a_restarted_daemon_prunes_without_waiting_an_hour(
    feed_server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # The clock of the first run, shortened (a minute in the daemon); hourly runs as they are.
    monkeypatch.setattr(daemon_module, "RETENTION_FIRST", 0.1, raising=False)
    feed_server.feed("/wire", rss("Wire", [("Summit talks resume", "http://e.org/1")]))
    url = feed_server.url("/wire")
    config = make_config(tmp_path, [url], interval="1h", retention="30d")  # the default
    store = await Store.open(config.database_path)  # what a daemon stored before its restart
    try:
        async with store.transaction() as db:
            feed = (await feed_store.sync_feeds(db, [url]))[url]
            old = [_item(i, time.time() - 40 * 86400) for i in range(5)]
            await item_store.insert_new(db, feed.id, old)
    finally:
        await store.close()
    caplog.set_level(logging.INFO, logger="monitor")
    daemon = Daemon(config)
    task = asyncio.create_task(daemon.run())
    try:
        for _ in range(60):  # up to 3 s; the run comes at 0.1 s
            if any("pruned" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.05)
    finally:
        daemon.stop()
        await task
    assert "pruned 5 items" in "\n".join(r.getMessage() for r in caplog.records)
    store = await Store.open(config.database_path)
    try:
        async with store.db.raw.execute("SELECT key FROM items") as cur:
            keys = [r[0] for r in await cur.fetchall()]
    finally:
        await store.close()
    assert not [k for k in keys if k.startswith("old")]


async def test_the_daemons_retention_judges_age_by_the_runtimes_clock(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Items 10 days old by the wall clock are 35 days old by the runtime's clock, which the
    polls, the outbox and the feeds' health run on (and tests mock): retention (30 days) goes
    by that clock too, as a replay of old data or a test moved a month ahead expects."""
    monkeypatch.setattr(daemon_module, "RETENTION_FIRST", 0.5, raising=False)
    config = make_config(tmp_path, [], retention="30d")
    url = "http://x.example/feed"
    store = await Store.open(config.database_path)
    try:
        async with store.transaction() as db:
            feed = (await feed_store.sync_feeds(db, [url]))[url]
            await item_store.insert_new(
                db, feed.id, [_item(i, time.time() - 10 * 86400) for i in range(5)]
            )
    finally:
        await store.close()
    caplog.set_level(logging.INFO, logger="monitor")
    daemon = Daemon(config)
    task = asyncio.create_task(daemon.run())
    ahead = time.time() + 25 * 86400
    try:
        for _ in range(500):  # the runtime, as soon as the store is open
            if daemon._rt is not None:
                daemon._rt.clock = lambda: ahead
                break
            await asyncio.sleep(0.01)
        for _ in range(100):  # up to 5 s; the run comes at 0.5 s
            if any("pruned" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.05)
    finally:
        daemon.stop()
        await task
    store = await Store.open(config.database_path)
    try:
        left = await store.db.fetch_all("SELECT key FROM items")
    finally:
        await store.close()
    assert left == [], left
