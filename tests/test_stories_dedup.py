"""Stories: outlet wrappers, the index never scanning the window, persistence across restarts."""

from __future__ import annotations

from datetime import datetime

import pytest

from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import strip_outlet
from monitor.models import Item, StoredItem
from monitor.store import Store
from monitor.store import feeds as feed_store
from monitor.store import items as item_store

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
