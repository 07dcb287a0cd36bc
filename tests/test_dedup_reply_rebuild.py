"""A window rebuilt from the store (start, failed poll, ``[dedup]`` reload, assigner
election: ``store.stories.rebuild_index``) knows each story's first headline as the running
index did: the first item added. With the reply rule the first headline decides more joins:
on 7699ef3 the rebuild took the earliest published row for it, and a copy that joined the
story before a restart started a new one after it (a second alert for the same news)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from helpers import assign_stories

from monitor.dedup.config import DedupConfig
from monitor.dedup.index import StoryIndex
from monitor.models import Item, StoredItem
from monitor.store import feeds as feed_store
from monitor.store import items as item_store
from monitor.store import open_store
from monitor.store.stories import rebuild_index

CONFIG = DedupConfig()
URL = "https://wire.example/talks"
INVITES = "Putin invites Zelensky to Moscow for talks"
START = datetime(2026, 3, 1, 8, tzinfo=UTC)
# (feed, title, url, published hour, first seen hour): the wire's invitation is seen first;
# an aggregator's item on the same URL, retitled with the rejection, carries the article's
# earlier publication time; then another outlet's copy of the invitation.
TIMELINE = [
    ("http://wire/feed", INVITES, URL, 1.0, 1.0),
    ("http://agg/feed", "Zelensky rejects Putin's Moscow invitation", URL, 0.0, 1.1),
    ("http://herald/feed", f"{INVITES}, Kremlin says", "https://herald.example/talks", 1.5, 1.5),
]


async def _stories(path: str, restart_before: int | None) -> list[int]:
    """The story of each item of ``TIMELINE``, the window rebuilt before item
    ``restart_before`` (None: never)."""
    out: list[int] = []
    store = await open_store(path)
    index = StoryIndex(CONFIG)
    try:
        for i, (feed_url, title, url, pub, seen) in enumerate(TIMELINE):
            item = Item(key=f"k{i}", title=title, summary="", url=url, canonical_url=url,
                        guid=None, published=START + timedelta(hours=pub),
                        first_seen=START + timedelta(hours=seen))  # fmt: skip
            if i == restart_before:
                await store.close()
                store = await open_store(path)
                index = StoryIndex(CONFIG)
                await rebuild_index(store.db, index, item.first_seen - timedelta(hours=72))
            async with store.transaction() as db:
                feed = (await feed_store.sync_feeds(db, [feed_url]))[feed_url]
                inserted = await item_store.insert_new(db, feed.id, [item])
                (change,) = await assign_stories(
                    db, index, [StoredItem(n, feed.id, "F", (), it) for n, it in inserted]
                )
            out.append(change.story.id)
    finally:
        await store.close()
    return out


async def test_a_copy_joins_its_story_after_a_restart(database: str) -> None:
    """SQLite and PostgreSQL: the copy of the invitation joins the invitation's story (with
    the rejection that came under its URL) after a restart as it does without one (the
    in-memory index: tests/test_dedup_reply.py); on 7699ef3 it started a new story."""
    first, second, copy = await _stories(database, restart_before=2)
    assert first == second == copy


async def test_a_restart_keeps_the_first_headline_of_every_story(database: str) -> None:
    """After the restart, a copy of the rejection is no copy of the story's first headline
    (the invitation), so it is a story of its own, as without a restart."""
    first = (await _stories(database, restart_before=2))[0]
    store = await open_store(database)
    try:
        index = StoryIndex(CONFIG)
        await rebuild_index(store.db, index, START - timedelta(hours=72))
    finally:
        await store.close()
    at = (START + timedelta(hours=2)).timestamp()
    assert index.find(f"{INVITES} - Reuters", "", at).story_id == first
    assert (
        index.find("Zelensky rejects Putin's invitation to Moscow talks", "", at).story_id is None
    )
