"""Stories: outlet wrappers, the index never scanning the window, persistence across restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import assign_stories

from monitor.dedup.config import DedupConfig
from monitor.dedup.index import StoryIndex, shared_guid
from monitor.dedup.outlet import strip_outlet
from monitor.models import Item, StoredItem
from monitor.store import Store
from monitor.store import feeds as feed_store
from monitor.store import items as item_store
from monitor.store.stories import rebuild_index

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


@pytest.mark.parametrize(
    "guid",
    ["", "1", "post-123", "x" * 23, "x" * 24, "https://wire.example/a", "wire://a", "urn:uuid:1",
     "tag:wire.example,2025:1", "URN:uuid:1", "https://wire.example/same"],
)  # fmt: skip
async def test_rebuild_reads_the_guids_the_index_keeps(tmp_path: Path, guid: str) -> None:
    # rebuild_index picks in SQL the GUIDs that shared_guid keeps (and not one that is the
    # URL): the rebuilt index joins by GUID exactly where the running one does.
    now = datetime.now(UTC).replace(microsecond=0)
    store = await Store.open(tmp_path / "m.db")
    try:
        url = "https://wire.example/same"
        stored = await _store_items(store, "http://wire/feed", "Wire", [
            _item("a", "Harbour strike ends after talks", now, url, guid),
        ])  # fmt: skip
        running = StoryIndex(CONFIG)
        async with store.transaction() as db:
            await assign_stories(db, running, stored)
        rebuilt = StoryIndex(CONFIG)
        assert await rebuild_index(store.db, rebuilt, now - timedelta(hours=1)) == 1
        later = now + timedelta(minutes=5)
        found = running.find("Museum reopens", "", later, None, guid)
        assert rebuilt.find("Museum reopens", "", later, None, guid) == found
        assert found.reason == ("same guid" if shared_guid(guid) else "new story")
    finally:
        await store.close()
