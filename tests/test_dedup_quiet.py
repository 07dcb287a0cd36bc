"""A quiet story closes: after ``[dedup] quiet`` with no new item, a similar headline starts a
new story (recurring news is another story another day); the same GUID or URL still joins it,
coverage that goes on keeps it open, and a restart decides as the running daemon would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import assign_stories
from pydantic import ValidationError

from monitor.dedup.config import DedupConfig
from monitor.dedup.index import StoryIndex
from monitor.models import Item, StoredItem
from monitor.store import Store
from monitor.store import feeds as feed_store
from monitor.store import items as item_store
from monitor.store.stories import rebuild_index

CONFIG = DedupConfig()
NOW = 1_700_000_000.0
HOUR = 3600.0
CLOSE = "Wall Street closes lower as oil prices slide"
CLOSE_AGAIN = "Wall Street closes lower as oil slides - Wire"
SEARCH = [
    "Rescuers search for missing climbers on Mont Blanc",
    "Rescuers resume search for missing climbers on Mont Blanc",
    "Search for missing Mont Blanc climbers goes on",
    "Rescuers search for climbers missing on Mont Blanc - Wire",
    "UPDATE 2-Rescuers search for missing climbers on Mont Blanc",
]


def test_the_same_headline_a_day_later_is_a_new_story() -> None:
    index = StoryIndex(CONFIG)
    index.add(1, 1, CLOSE, "", NOW)
    assert index.find(CLOSE_AGAIN, "", NOW + 11 * HOUR).story_id == 1  # later that evening
    # The next day's close report comes less than a day after today's: a new story still.
    assert index.find(CLOSE_AGAIN, "", NOW + 23 * HOUR) == (None, 0.0, "new story")
    index.add(2, 2, CLOSE_AGAIN, "", NOW + 23 * HOUR)
    # The next item joins the new story, not the closed one.
    assert index.find(CLOSE, "", NOW + 24 * HOUR).story_id == 2


def test_coverage_every_few_hours_for_three_days_stays_one_story() -> None:
    index = StoryIndex(CONFIG)
    index.add(1, 0, SEARCH[0], "", NOW)
    for i in range(1, 19):  # every 4 hours for 72 hours
        at = NOW + 4 * HOUR * i
        found = index.find(SEARCH[i % len(SEARCH)], "", at)
        assert found.story_id == 1, (i, found)
        index.add(1, i, SEARCH[i % len(SEARCH)], "", at)
    # Quiet from the last item on, not from the first.
    last = NOW + 72 * HOUR
    assert index.find(SEARCH[1], "", last + 11 * HOUR).story_id == 1
    assert index.find(SEARCH[1], "", last + 13 * HOUR).story_id is None


def test_the_same_url_or_guid_joins_a_closed_story() -> None:
    index = StoryIndex(CONFIG)
    guid = "urn:uuid:0b8f2c1e-4d4a-4c1e-9a57-1f0e7d2c3b4a"
    index.add(1, 1, CLOSE, "", NOW, "https://wire.example/close", guid)
    late = NOW + 30 * HOUR
    assert index.find(CLOSE, "", late).story_id is None
    assert index.find(CLOSE, "", late, "https://wire.example/close") == (1, 100.0, "same url")
    assert index.find("Other words", "", late, None, guid).reason == "same guid"
    # Joining by URL is news on the story: it is open again.
    index.add(1, 2, CLOSE, "", late, "https://wire.example/close")
    assert index.find(CLOSE_AGAIN, "", late + HOUR).story_id == 1


def test_quiet_zero_never_closes() -> None:
    index = StoryIndex(DedupConfig(quiet="0s"))
    index.add(1, 1, CLOSE, "", NOW)
    assert index.find(CLOSE_AGAIN, "", NOW + 60 * HOUR).story_id == 1


def test_quiet_survives_compaction_when_the_first_entry_is_evicted() -> None:
    # A story covered for four days: its first headlines leave the window and the index
    # compacts; the story's last-seen time moves to the entry that stands in for the first.
    index = StoryIndex(CONFIG)
    for i in range(3000):  # other news, to be evicted and compacted away
        index.add(100 + i, 100 + i, f"Filler headline number {i} about topic{i}", "", NOW + i)
    for i in range(25):  # every 4 hours for 96 hours
        at = NOW + 4 * HOUR * i
        if i:
            assert index.find(SEARCH[i % 5], "", at).story_id == 1, i
        index.add(1, i, SEARCH[i % 5], "", at)
        index.evict(at - CONFIG.window)
    last = NOW + 96 * HOUR
    assert index.window.entries < 100  # compacted, the story's first entry gone with the filler
    assert index.find(SEARCH[1], "", last + 11 * HOUR).story_id == 1
    assert index.find(SEARCH[1], "", last + 13 * HOUR).story_id is None


def test_load_knows_when_each_story_was_last_seen() -> None:
    rows = [(1, CLOSE, NOW), (1, CLOSE_AGAIN, NOW + 20 * HOUR), (2, SEARCH[0], NOW)]
    added, loaded = StoryIndex(CONFIG), StoryIndex(CONFIG)
    keys = [added.add(s, i, t, "", at) for i, (s, t, at) in enumerate(rows)]
    loaded.load([1], keys[:1], [NOW], [None], [None])  # a story split across two batches
    loaded.load([1, 2], keys[1:], [NOW + 20 * HOUR, NOW], [None, None], [None, None])
    for index in (added, loaded):
        assert index.find(CLOSE, "", NOW + 31 * HOUR).story_id == 1  # quiet from its last item
        assert index.find(SEARCH[1], "", NOW + 11 * HOUR).story_id == 2
        assert index.find(SEARCH[1], "", NOW + 13 * HOUR).story_id is None
        assert index.find(CLOSE, "", NOW + 33 * HOUR).story_id is None  # quiet too long


def test_config_quiet_at_most_the_window() -> None:
    assert CONFIG.quiet == 12 * HOUR
    assert DedupConfig(window="6h").quiet == 6 * HOUR  # follows a shorter window
    assert DedupConfig(quiet=0).quiet == 0.0
    with pytest.raises(ValidationError, match="quiet must be at most window"):
        DedupConfig(window="6h", quiet="7h")


# The store: assign, then a restart (rebuild_index) in the middle of the days.

START = datetime(2025, 9, 5, 6, tzinfo=UTC)
# (hours after START, headline, URL): recurring news on two days, a story covered every few
# hours for two days, and a same-URL update after a quiet day.
TIMELINE = [
    (0, CLOSE, "https://wire.example/close-1"),
    (1, SEARCH[0], "https://wire.example/search-1"),
    (5, SEARCH[1], "https://herald.example/search"),
    (9, SEARCH[2], None),
    (23, CLOSE_AGAIN, "https://herald.example/close-2"),  # the next day: a new story
    (13, SEARCH[3], None),  # published earlier, polled later: still the search story
    (20, SEARCH[4], None),
    (34, "Wall Street closes lower as oil prices slide", "https://wire.example/close-1"),
    (28, SEARCH[0], None),
    (36, SEARCH[1], None),
    (44, SEARCH[2], None),
    (71, CLOSE, None),  # 37 hours after the last close item: new again
]


def _items(rows: list[tuple[int, str, str | None]], offset: int) -> list[Item]:
    return [
        Item(key=f"k{offset + i}", title=title, summary="", url=url, canonical_url=url,
             guid=None, published=START + timedelta(hours=h), first_seen=START + timedelta(hours=h))
        for i, (h, title, url) in enumerate(rows)
    ]  # fmt: skip


async def _run(path: Path, restart_after: int | None) -> list[int]:
    stories: list[int] = []
    store = await Store.open(path)
    index = StoryIndex(CONFIG)
    try:
        for i, item in enumerate(_items(TIMELINE, 0)):
            if i == restart_after:
                await store.close()
                store = await Store.open(path)
                index = StoryIndex(CONFIG)
                since = item.first_seen - timedelta(seconds=CONFIG.window)
                await rebuild_index(store.db, index, since)
            async with store.transaction() as db:
                feed = (await feed_store.sync_feeds(db, ["http://wire/feed"]))["http://wire/feed"]
                inserted = await item_store.insert_new(db, feed.id, [item])
                (change,) = await assign_stories(
                    db, index, [StoredItem(i, feed.id, "Wire", (), it) for i, it in inserted]
                )
            stories.append(change.story.id)
    finally:
        await store.close()
    return stories


async def test_a_restart_decides_as_no_restart(tmp_path: Path) -> None:
    expected = await _run(tmp_path / "straight.db", None)
    close1, search, close2, close3 = 1, 2, 3, 4
    assert expected == [close1, search, search, search, close2, search, search, close1,
                        search, search, search, close3]  # fmt: skip
    for restart_after in (2, 5, 7, 9, 11):
        assert await _run(tmp_path / f"restart{restart_after}.db", restart_after) == expected
