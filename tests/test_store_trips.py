"""A poll's writes cost the event loop a few trips to SQLite's thread, not one per statement.

Each trip through aiosqlite (a future, a queue, a thread switch and a wake-up of the loop)
costs the event loop more than most statements cost SQLite, and a daemon polling a thousand
feeds pays it for every poll. A poll with new items makes four, whatever it brings: BEGIN
with its items, their stories, then everything else at once (events, matches, alerts and
the updates of grown ones), then the feed's state with COMMIT. What it stores is unchanged.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import shared
from feedserver import FeedServer
from helpers import make_config

from monitor.engine import Engine
from monitor.errors import StoreError
from monitor.pipeline import refresh_feed
from monitor.store import Db, Store
from monitor.store import alerts as alert_rows
from monitor.store import feeds as feed_store

TRIPS_PER_POLL = 4

RULES = """
[[rules]]
name = "every-item"
query = "reading"
channels = ["screen"]
alert_on = "story"

[[rules]]
name = "news"
query = "news OR that"
channels = ["screen"]

[channels.screen]
type = "console"
"""

# (feed file, outlets carrying the same items one after the other): the first outlet's
# poll creates every story, event, match and alert; each later one grows them all (the
# alerts of grown stories and events read, refreshed, and their bursts checked).
CASES = [
    ("guardian.rss", 1),
    ("guardian.rss", 3),
    ("heise.atom", 2),
    ("reddit.rss", 2),
]


def as_outlet(body: bytes, n: int) -> bytes:
    """The feed ``body`` as outlet ``n``'s: on a site of its own (its channel's <link>, or its
    Atom alternate link), since copies of one site's feed are one outlet (m022)."""
    site = rb'(<link>|rel="alternate" type="text/html" href=")https?://[^/<"]+'
    return re.sub(site, rb"\g<1>https://outlet%d.org" % n, body, count=1)


@pytest.mark.parametrize(("name", "outlets"), CASES)
async def test_a_poll_with_new_items_takes_four_trips_to_the_database_thread(
    name: str, outlets: int, feed_server: FeedServer, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    body = shared("real-feeds", name).read_bytes()
    feeds = ""
    for n in range(outlets):
        feed_server.feed(f"/outlet{n}", as_outlet(body, n))
        feeds += f'[[feeds]]\nurl = "{feed_server.url(f"/outlet{n}")}"\nname = "Outlet {n}"\n'
    engine = await Engine.open(make_config(tmp_path, [], feeds + RULES))
    rt = engine.rt
    trips: list[Any] = []
    real: Callable[..., Awaitable[Any]] = rt.store.db.raw._execute

    async def counting(fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(fn)
        return await real(fn, *args, **kwargs)

    try:
        monkeypatch.setattr(rt.store.db.raw, "_execute", counting)
        per_poll = []
        for feed in rt.config.feeds:
            trips.clear()
            outcome = await refresh_feed(rt, feed)
            assert outcome.result == "new", outcome.error
            per_poll.append(len(trips))
        monkeypatch.undo()
        db = rt.store.db
        items = await db.fetch_val("SELECT COUNT(*) FROM items")
        matched = await db.fetch_val("SELECT COUNT(*) FROM matches")
        # Each "new" alert's outlets, and those its story (or event) has in the store.
        alerts = await db.fetch_all(
            "SELECT a.id, (SELECT group_concat(name, '|') FROM story_outlets o"
            " WHERE o.story_id = a.story_id), (SELECT group_concat(name, '|')"
            " FROM event_outlets o JOIN stories s ON o.event_id = s.event_id"
            " WHERE s.id = a.story_id) FROM alerts a WHERE a.kind = 'new'"
        )
        shown = await alert_rows.payloads(db)
        alerts = [(shown[i], *rest) for i, *rest in alerts]
        checked = await db.fetch_all("SELECT last_checked FROM feeds")
    finally:
        await engine.close()
    assert per_poll == [TRIPS_PER_POLL] * outlets
    assert items == outcome.items * outlets > 0
    assert matched > 0 and alerts
    # Every alert names every outlet that carried its story (or event) by the last poll.
    for payload, of_story, of_event in alerts:
        alert = json.loads(payload)
        carried = of_event if alert.get("event_id") else of_story
        assert sorted(alert["outlets"]) == sorted(carried.split("|"))
    # heise's items, dated 2016, are older than the window: each outlet's copy starts its
    # own story and event, and no alert grows to name both outlets.
    grows = name != "heise.atom"
    assert any(len(json.loads(p)["outlets"]) == outlets for p, *_ in alerts) is grows
    assert all(row[0] is not None for row in checked)  # each feed's state went with COMMIT


async def _rename_then_fail(db: Db) -> None:
    await db.execute("UPDATE feeds SET title = 'renamed'")
    await db.execute_later("UPDATE feeds SET etag = 'later'")
    raise ValueError("a bug half way through the poll")


async def _rename_then_refused(db: Db) -> None:
    await db.execute("UPDATE feeds SET title = 'renamed'")
    await db.execute("INSERT INTO feeds (url) VALUES ('http://a/feed')")  # taken: refused


async def _wait_for_the_loop(db: Db) -> None:
    await db.execute("UPDATE feeds SET title = 'renamed'")
    await asyncio.sleep(0)  # not the database: together() cannot run it on its thread


# (the work a poll hands to Db.together, the error the poll gets, the backends it fails on:
# PostgreSQL awaits each statement on the event loop anyway, so awaiting something else there
# is no failure and the poll commits)
FAILURES = [
    (_rename_then_fail, ValueError, "a bug half way", ("sqlite", "postgresql")),
    (_rename_then_refused, StoreError, "the database refused a write", ("sqlite", "postgresql")),
    (_wait_for_the_loop, RuntimeError, "awaited something else", ("sqlite",)),
]


@pytest.mark.parametrize(("work", "error", "says", "fails_on"), FAILURES)
async def test_a_failure_inside_one_trip_keeps_nothing_of_the_transaction(
    work: Callable[[Db], Awaitable[None]], error: type[Exception], says: str,
    fails_on: tuple[str, ...], database: str,
) -> None:  # fmt: skip
    store = await Store.open(database)
    try:
        async with store.transaction() as db:
            await feed_store.sync_feeds(db, ["http://a/feed"])
        if store.db.dialect not in fails_on:
            async with store.transaction() as db:
                await db.execute("UPDATE feeds SET error_streak = 7")
                await db.together(work)
            rows = await store.db.fetch_all("SELECT title, error_streak FROM feeds")
            assert [tuple(r) for r in rows] == [("renamed", 7)]
            return
        with pytest.raises(error, match=says):
            async with store.transaction() as db:
                await db.execute("UPDATE feeds SET error_streak = 7")
                await db.together(work)
        assert store.problem() is None  # one poll's failure, not the store's
        rows = await store.db.fetch_all("SELECT title, etag, error_streak FROM feeds")
        assert [tuple(r) for r in rows] == [(None, None, 0)]
        # and the store takes the next poll's writes
        async with store.transaction() as db:
            await db.together(lambda tx: tx.execute("UPDATE feeds SET title = 'next'"))
        assert await store.db.fetch_val("SELECT title FROM feeds") == "next"
    finally:
        await store.close()
