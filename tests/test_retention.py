"""Retention prunes old items, stories and alerts in batches and keeps recent ones (and the
newest alert: its id is never handed out again)."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers import make_config

from monitor.channels.updates import message_id
from monitor.engine import Engine
from monitor.models import Alert, Item
from monitor.retention import prune
from monitor.store import Store
from monitor.store import alerts as alert_rows
from monitor.store import feeds as feed_store
from monitor.store import items as item_store
from monitor.store.outcome import mark_sent


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


def _alert(title: str) -> Alert:
    return Alert(
        id=0, channel="hook", kind="new", title=title, rule="r", severity="normal",
        story_id=None, url=None, outlets=(), terms=(), snippet="", published=None,
        extra={}, event_id=None,
    )  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_an_alert_after_retention_pruned_every_old_one_has_a_new_message_id(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # Receivers drop a message id they have seen: SQLite hands out max(id) + 1, so retention
    # emptying the table would give the next alert an id that went out already.
    extra = {} if backend == "sqlite" else {"database": request.getfixturevalue("pg_url")}
    engine = await Engine.open(make_config(tmp_path, [], **extra))
    try:
        old = time.time() - 40 * 86400
        sent = []
        async with engine.store.transaction() as db:
            for n in range(3):
                alert_id = await alert_rows.insert(
                    db, _alert(f"old {n}"), dedup_key=f"new:{n}:r", now=old
                )
                assert alert_id is not None
                sent.append(alert_id)
            await mark_sent(db, sent, now=old, external_id=None)
        pruned = await prune(engine.store, time.time() - 30 * 86400)
        assert pruned.alerts == 2  # every old delivered alert but the newest
        async with engine.store.transaction() as db:
            new = await alert_rows.insert(db, _alert("new"), dedup_key="new:9:r", now=time.time())
        assert new is not None
        seen = {message_id(replace(_alert("old"), id=i)) for i in sent}
        assert message_id(replace(_alert("new"), id=new)) not in seen
    finally:
        await engine.close()
