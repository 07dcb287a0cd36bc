"""A changed feed's poll reads only its new items (parse.known), and gives exactly what it
gave without that memory: the same items, stories and alerts, through the pipeline against
a local feed server, with real headlines."""

from __future__ import annotations

import csv
import html
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import shared
from feedserver import FeedServer
from helpers import make_config

import monitor.parse.fast as fast_path
import monitor.parse.known as known
from monitor.engine import Engine
from monitor.feedmemory import FeedMemory
from monitor.pipeline import PollOutcome, ingest_pushed, refresh_feed
from monitor.retention import prune
from monitor.store import sqlite as sqlite_store

START = datetime(2014, 3, 12, 12, 0, tzinfo=UTC)
RULES = """
[channels.screen]
type = "console"
[[rules]]
name = "tracked"
query = "Fed OR Apple OR Google OR Obama OR Bitcoin OR Gox OR Ukraine OR Crimea"
channels = ["screen"]
[[rules]]
name = "tracked-stories"
query = "Fed OR Apple OR Google OR Obama OR Bitcoin OR Gox OR Ukraine OR Crimea"
channels = ["screen"]
alert_on = "story"
"""


@dataclass(frozen=True)
class Entry:
    """One item as a feed writes it."""

    title: str
    n: int  # its address (and GUID) number
    guid: bool = True
    summary: str = ""
    date: datetime | None = None

    def xml(self) -> str:
        parts = [f"<title>{html.escape(self.title, quote=False)}</title>"]
        if self.guid:
            url = f"https://news.example/{self.n}"
            parts += [f"<link>{url}?utm_source=rss</link>", f"<guid>{url}</guid>"]
        if self.summary:
            parts.append(f"<description>{html.escape(self.summary)}</description>")
        if self.date is not None:
            parts.append(f"<pubDate>{format_datetime(self.date, usegmt=True)}</pubDate>")
        return "<item>" + "".join(parts) + "</item>"


def body(entries: list[Entry]) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Wire</title><link>https://news.example/</link>"
        + "".join(e.xml() for e in entries)
        + "</channel></rss>"
    ).encode()


def headlines() -> list[str]:
    path = shared("uci-news-2014-03", "uci-news-aggregator_2014-03-10_12_slice.csv")
    with path.open(encoding="utf-8", newline="") as f:
        return [row["TITLE"] for row in csv.DictReader(f)]


def first_body(titles: list[str], *, guid: bool = True) -> list[Entry]:
    """50 items, newest first, with summaries made of the next headlines."""
    return [
        Entry(t, n, guid, f"{titles[n + 60]}. {titles[n + 61]}.", START - timedelta(minutes=n))
        for n, t in enumerate(titles[:50])
    ]


def one_new(old: list[Entry], titles: list[str]) -> list[Entry]:
    """A new item on top, the oldest dropped: the usual changed feed."""
    return [Entry(titles[200], 200, True, titles[201], START + timedelta(minutes=5)), *old[:-1]]


def _retitled(old: list[Entry], titles: list[str], guid: bool) -> list[Entry]:
    changed = Entry(titles[300], old[3].n, guid, old[3].summary, old[3].date)
    return [*old[:3], changed, *old[4:]]


def _reordered(old: list[Entry], titles: list[str]) -> list[Entry]:
    return list(reversed(one_new(old, titles)))


def _new_twice(old: list[Entry], titles: list[str]) -> list[Entry]:
    """A new GUID twice in the body, with two titles: the store keeps one item of it."""
    first = Entry(titles[210], 210, True, titles[211], START + timedelta(minutes=6))
    again = Entry(titles[212], 210, True, titles[213], START + timedelta(minutes=7))
    return [first, *old[:25], again, *old[25:]]


def _known_twice(old: list[Entry], titles: list[str]) -> list[Entry]:
    """A known item written again further down, its title changed (same GUID)."""
    return [*one_new(old, titles), Entry(titles[320], old[0].n, True, "", old[0].date)]


def _many_new(old: list[Entry], titles: list[str]) -> list[Entry]:
    """More new items than max_new_items (3): the newest 3 go on, the rest are kept as seen."""
    new = [
        Entry(titles[220 + k], 220 + k, True, titles[230 + k], START + timedelta(minutes=k + 1))
        for k in range(5)
    ]
    return [*new, *old[:-5]]


# (name, the first body's items have GUIDs, how the second body changes the first)
CASES: list[tuple[str, bool, Callable[[list[Entry], list[str]], list[Entry]]]] = [
    ("one new item, the oldest dropped", True, one_new),
    ("a known item's title changed, same GUID", True, lambda o, t: _retitled(o, t, True)),
    ("a known item's title changed, no GUID or link", False, lambda o, t: _retitled(o, t, False)),
    ("reordered, one new", True, _reordered),
    ("a new GUID twice in the body", True, _new_twice),
    ("a known GUID twice, changed the second time", True, _known_twice),
    ("more new items than max_new_items", True, _many_new),
]


class Clock:
    def __init__(self) -> None:
        self.now = START.timestamp() + 3600

    def __call__(self) -> float:
        return self.now


async def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """What a user can see of the store: the items, their stories and the alerts queued."""
    db = engine.store.db
    queries = {
        "items": "SELECT id, key, title, summary, url, guid, published, first_seen, story_id"
        " FROM items ORDER BY id",
        "stories": "SELECT id, title, event_id FROM stories ORDER BY id",
        "alerts": "SELECT channel, kind, story_id, rule, dedup_key, payload FROM alerts ORDER BY id",
    }
    return {name: [tuple(r) for r in await db.fetch_all(sql)] for name, sql in queries.items()}


async def two_polls(
    tmp_path: Path,
    feed_server: FeedServer,
    bodies: tuple[bytes, bytes],
    *,
    cold: bool,
    between: Callable[[Engine, Clock], Any] | None = None,
) -> tuple[dict[str, list[tuple[Any, ...]]], PollOutcome]:
    """Poll the first body, then the second, on a store of its own; ``cold``: the feed's
    memory forgotten in between, as after a restart (or an eviction)."""
    path = f"/{tmp_path.name}-{cold}"
    feed_server.feed(path, bodies[0])
    folder = tmp_path / ("cold" if cold else "warm")
    folder.mkdir()
    config = make_config(folder, [feed_server.url(path)], RULES, max_new_items="3")
    clock = Clock()
    engine = await Engine.open(config, clock=clock)
    try:
        first = await refresh_feed(engine.rt, config.feeds[0])
        assert first.result == "new", first.error
        clock.now += 600
        if between is not None:
            await between(engine, clock)
        if cold:
            engine.rt.memory = FeedMemory()
        feed_server.feed(path, bodies[1])
        second = await refresh_feed(engine.rt, config.feeds[0])
        assert second.result == "new", second.error
        return await snapshot(engine), second
    finally:
        await engine.close()


@pytest.mark.parametrize(("name", "guid", "change"), CASES, ids=[c[0] for c in CASES])
async def test_a_changed_body_gives_what_it_gives_without_memory(
    name: str,
    guid: bool,
    change: Callable[[list[Entry], list[str]], list[Entry]],
    feed_server: FeedServer,
    tmp_path: Path,
) -> None:
    titles = headlines()
    old = first_body(titles, guid=guid)
    bodies = (body(old), body(change(old, titles)))
    warm, warm_poll = await two_polls(tmp_path, feed_server, bodies, cold=False)
    cold, cold_poll = await two_polls(tmp_path, feed_server, bodies, cold=True)
    assert warm == cold
    assert (warm_poll.new_items, warm_poll.items) == (cold_poll.new_items, cold_poll.items)


@pytest.fixture
def read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The titles of the items the fast path reads (makes an Item of), in order."""
    titles: list[str] = []
    make_item = fast_path.make_item

    def counted(**fields: Any) -> Any:
        titles.append(fields["title"])
        return make_item(**fields)

    monkeypatch.setattr(fast_path, "make_item", counted)
    return titles


async def test_a_changed_body_reads_only_its_new_items(
    feed_server: FeedServer, tmp_path: Path, read: list[str]
) -> None:
    titles = headlines()
    old = first_body(titles)
    _, poll = await two_polls(
        tmp_path, feed_server, (body(old), body(one_new(old, titles))), cold=False
    )
    assert (poll.new_items, poll.items) == (1, 50)
    assert read[50:] == [titles[200]]  # the first poll read 50, the second only the new one


async def test_an_item_retention_pruned_comes_back_as_without_memory(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """Past retention, the next changed body finds the same items new, memory or not: none
    (retention keeps what the feed still carries) but its one new item."""
    titles = headlines()
    old = first_body(titles)

    async def past_retention(engine: Engine, clock: Clock) -> None:
        clock.now += engine.rt.config.monitor.retention + 60
        await prune(engine.store, clock.now - engine.rt.config.monitor.retention)
        # A month on, the story window holds none of the pruned stories (read it again).
        engine.rt.stages.invalidate()

    bodies = (body(old), body(one_new(old, titles)))
    warm, warm_poll = await two_polls(tmp_path, feed_server, bodies, cold=False,
                                      between=past_retention)  # fmt: skip
    cold, cold_poll = await two_polls(tmp_path, feed_server, bodies, cold=True,
                                      between=past_retention)  # fmt: skip
    assert warm_poll.new_items == cold_poll.new_items == 1  # before: 50, pruned, new again
    assert warm == cold


async def test_a_restart_between_polls_loses_nothing_and_alerts_nothing_twice(
    feed_server: FeedServer, database: str, tmp_path: Path
) -> None:
    titles = headlines()
    old = first_body(titles)
    new = one_new(old, titles)
    newer = [Entry(titles[202], 202, True, titles[203], START + timedelta(minutes=9)), *new[:-1]]
    feed_server.feed("/feed", body(old))
    config = make_config(tmp_path, [feed_server.url("/feed")], RULES, database=database)
    clock = Clock()
    engine = await Engine.open(config, clock=clock)
    try:
        await refresh_feed(engine.rt, config.feeds[0])
        before = await snapshot(engine)
    finally:
        await engine.close()
    clock.now += 600
    engine = await Engine.open(config, clock=clock)  # a restart: no memory of the last body
    try:
        feed_server.feed("/feed", body(new))
        poll = await refresh_feed(engine.rt, config.feeds[0])
        assert (poll.new_items, poll.items) == (1, 50)
        clock.now += 600
        feed_server.feed("/feed", body(newer))  # and once more, from the memory of that body
        again = await refresh_feed(engine.rt, config.feeds[0])
        assert (again.new_items, again.items) == (1, 50)
        after = await snapshot(engine)
    finally:
        await engine.close()
    assert after["items"][:50] == before["items"]
    assert [row[2] for row in after["items"][50:]] == [titles[200], titles[202]]
    assert after["alerts"][: len(before["alerts"])] == before["alerts"]
    keys = [(row[0], row[4]) for row in after["alerts"]]
    assert len(keys) == len(set(keys))  # no alert twice
    alerted = " ".join(row[5] for row in after["alerts"][len(before["alerts"]) :])
    assert titles[200] in alerted  # (the second, of the same story, grows it instead)
    assert all(row[8] is not None for row in after["items"][50:])  # both in a story


async def test_a_push_of_its_newest_item_then_a_poll_reads_only_what_is_new(
    feed_server: FeedServer, tmp_path: Path, read: list[str]
) -> None:
    """A WebSub push brings only the newest item: the poll after it reads only the item
    neither had, and stores what it stores without the memory."""
    titles = headlines()
    old = first_body(titles)
    pushed = Entry(titles[200], 200, True, titles[201], START + timedelta(minutes=5))
    later = Entry(titles[204], 204, True, titles[205], START + timedelta(minutes=8))
    polled = [later, pushed, *old[:-2]]
    seen: dict[bool, dict[str, list[tuple[Any, ...]]]] = {}
    for cold in (False, True):
        path = f"/feed-{cold}"
        feed_server.feed(path, body(old))
        folder = tmp_path / str(cold)
        folder.mkdir()
        config = make_config(folder, [feed_server.url(path)], RULES)
        clock = Clock()
        engine = await Engine.open(config, clock=clock)
        try:
            await refresh_feed(engine.rt, config.feeds[0])
            clock.now += 60
            push = await ingest_pushed(
                engine.rt, config.feeds[0], body([pushed]), {"content-type": "application/rss+xml"}
            )
            assert push.new_items == 1
            clock.now += 600
            if cold:
                engine.rt.memory = FeedMemory()
            feed_server.feed(path, body(polled))
            del read[:]
            poll = await refresh_feed(engine.rt, config.feeds[0])
            assert (poll.new_items, poll.items) == (1, 50)
            if not cold:
                assert read == [titles[204]]
            seen[cold] = await snapshot(engine)
        finally:
            await engine.close()
    assert seen[False] == seen[True]


async def test_a_feed_removed_from_the_config_is_forgotten(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """A reload that drops a feed drops its memory (a daemon reloaded for months keeps only
    the feeds it polls); the feeds it keeps keep theirs."""
    titles = headlines()
    for path in ("/kept", "/dropped"):
        feed_server.feed(path, body(first_body(titles)))
    urls = [feed_server.url("/kept"), feed_server.url("/dropped")]
    config = make_config(tmp_path, urls, RULES)
    engine = await Engine.open(config, clock=Clock())
    try:
        for feed in config.feeds:
            await refresh_feed(engine.rt, feed)
        ids = [engine.rt.states[u].id for u in urls]
        assert [engine.rt.memory.recall(i) is not None for i in ids] == [True, True]
        await engine.reload(make_config(tmp_path, urls[:1], RULES))
        assert [engine.rt.memory.recall(i) is not None for i in ids] == [True, False]
    finally:
        await engine.close()


async def test_a_body_of_more_items_than_a_memory_keeps_is_read_whole(
    feed_server: FeedServer, tmp_path: Path, read: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``MAX_ITEMS`` a body is read as without memory, and nothing of it is kept (a
    memory it would never get is not paid for: hashing each item, asking the store of each
    key). The limit is lowered to this feed's 50 items."""
    monkeypatch.setattr(known, "MAX_ITEMS", 49)
    titles = headlines()
    old = first_body(titles)
    warm, poll = await two_polls(
        tmp_path, feed_server, (body(old), body(one_new(old, titles))), cold=False
    )
    assert (poll.new_items, poll.items) == (1, 50)
    assert len(read) == 100  # both polls read every item
    cold, _ = await two_polls(
        tmp_path, feed_server, (body(old), body(one_new(old, titles))), cold=True
    )
    assert warm == cold


async def test_after_the_store_failed_every_item_is_read_again(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store that fails may have lost what it had committed (a failover, a restore from a
    backup): the memory of what it stored is dropped with it, and the next poll stores what
    the store no longer has, as it would without the memory. Here the feed's items go from
    the store (the restore), then another program holds the write lock past the busy timeout
    (the failure)."""
    # The lock below is held past SQLite's busy timeout: 1 s of it rather than the usual 5.
    monkeypatch.setattr(sqlite_store, "BUSY_TIMEOUT_MS", 1000)
    titles = headlines()
    old = first_body(titles)
    feed_server.feed("/feed", body(old))
    config = make_config(tmp_path, [feed_server.url("/feed")], RULES)
    clock = Clock()
    engine = await Engine.open(config, clock=clock)
    try:
        await refresh_feed(engine.rt, config.feeds[0])
        clock.now += 600
        holder = sqlite3.connect(config.database_path, isolation_level=None)
        try:
            holder.execute("DELETE FROM items")
            holder.execute("BEGIN IMMEDIATE")
            feed_server.feed("/feed", body(one_new(old, titles)))
            failed = await refresh_feed(engine.rt, config.feeds[0])
            assert failed.result == "error", failed
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        clock.now += 600
        again = await refresh_feed(engine.rt, config.feeds[0])
    finally:
        await engine.close()
    assert (again.result, again.new_items) == ("new", 50)
