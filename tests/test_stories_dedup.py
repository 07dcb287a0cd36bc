"""Stories: outlet wrappers, the index never scanning the window, persistence across restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import strip_outlet
from monitor.dedup.index import StoryIndex
from monitor.models import Item, StoredItem
from monitor.store import Store
from monitor.store import feeds as feed_store
from monitor.store import items as item_store
from monitor.store.stories import assign, list_stories, rebuild_index

CONFIG = DedupConfig()


@pytest.mark.parametrize(
    ("title", "core"),
    [
        ("UPDATE 2-China exports slump", "China exports slump"),
        ("Putin invites Zelensky to Moscow - Reuters", "Putin invites Zelensky to Moscow"),
        ("BBC News - Putin invites Zelensky to Moscow", "Putin invites Zelensky to Moscow"),
        ("Putin invites Zelensky to Moscow (AP)", "Putin invites Zelensky to Moscow"),
        (
            "GLOBAL MARKETS-World stocks dip after weak China data",
            "World stocks dip after weak China data",
        ),
        ("WRAPUP 1-Obama unveils new sanctions", "Obama unveils new sanctions"),
        ("EXCLUSIVE: Apple in talks to buy Beats", "Apple in talks to buy Beats"),
        ("13:23 PSNI 'failed RUC officer families'", "PSNI 'failed RUC officer families'"),
        ("Putin invites Zelensky | RT", "Putin invites Zelensky"),
        ("Rail strike - what we know", "Rail strike - what we know"),  # too short to strip
        ("NATO: ALLIES MEET IN BRUSSELS", "NATO: ALLIES MEET IN BRUSSELS"),  # all capitals
    ],
)
def test_outlet_wrappers_come_off(title: str, core: str) -> None:
    assert strip_outlet(title) == core


def _item(
    key: str, title: str, when: datetime, url: str | None = None, guid: str | None = None
) -> Item:
    return Item(key=key, title=title, summary="", url=url, canonical_url=url, guid=guid,
                published=when, first_seen=when)  # fmt: skip


async def _store_items(
    store: Store, feed_url: str, name: str, items: list[Item]
) -> list[StoredItem]:
    async with store.transaction() as db:
        feed = (await feed_store.sync_feeds(db, [feed_url]))[feed_url]
        inserted = await item_store.insert_new(db, feed.id, items)
    return [StoredItem(i, feed.id, name, (), item) for i, item in inserted]


async def test_restart_keeps_stories_and_new_variants_join_them(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    store = await Store.open(tmp_path / "m.db")
    index = StoryIndex(CONFIG)
    try:
        first = await _store_items(store, "http://wire/feed", "Wire", [
            _item("a", "Mayor calls emergency summit over rail strike", now, "https://wire/a"),
        ])  # fmt: skip
        async with store.transaction() as db:
            (change,) = await assign(db, index, first)
        assert change.is_new_story and change.story.outlets == ("Wire",)
    finally:
        await store.close()
    store = await Store.open(tmp_path / "m.db")
    index = StoryIndex(CONFIG)
    try:
        assert await rebuild_index(store.db, index, now - timedelta(hours=72)) == 1
        later = now + timedelta(minutes=20)
        more = await _store_items(store, "http://herald/feed", "Herald", [
            _item("b", "UPDATE 1-Harbour city mayor calls emergency summit on rail strike", later),
            # seen again under a new GUID, but the same canonical URL: the same story
            _item("c", "Completely different words", later, "https://wire/a", guid="new-guid"),
        ])  # fmt: skip
        async with store.transaction() as db:
            changes = await assign(db, index, more)
        assert [c.story.id for c in changes] == [change.story.id] * 2
        assert not changes[0].is_new_story and changes[0].gained_outlet
        assert changes[1].story.outlets == ("Wire", "Herald")
        (story,) = await list_stories(store.db, None)
        assert story["title"] == "Mayor calls emergency summit over rail strike"
        assert [i["feed"] for i in story["items"]] == ["Wire", "Herald", "Herald"]
    finally:
        await store.close()
