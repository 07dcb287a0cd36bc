"""A headline's words are the same live and after a restart (review20e D2).

Live, event assignment reads an item's headline as story matching parsed it
(``languages.headline_language``: the summary read only when the title's words hold a foreign
function word); a rebuild (a restart, a reload, a rolled-back poll: ``store.events.load_events``
-> ``EventIndex.add`` with no headline nor key) parsed the title in ``language(title,
summary)``, always reading the summary. A title whose function words all carry punctuation
("L'Insee", "l'inflation", "Ma,") came out with other words after a restart: its event's
words, and what joins it, changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import assign_stories

from monitor.dedup.config import DedupConfig
from monitor.dedup.index import StoryIndex
from monitor.events.cluster import EventIndex
from monitor.events.config import EventConfig
from monitor.models import Item, StoredItem
from monitor.store import Store
from monitor.store import feeds as feed_store
from monitor.store import items as item_store
from monitor.store.stories import rebuild_index

CASES = [
    (
        "L'Insee: l'inflation ralentit",
        "Les prix à la consommation ont augmenté de 1,2 % sur un an en novembre, selon l'Insee.",
    ),
    (
        "Jack Ma, Alibaba's founder, resurfaces",
        "Il fondatore di Alibaba è tornato in Cina dopo un anno all'estero, secondo il "
        "quotidiano.",
    ),
]


@pytest.mark.parametrize(("title", "summary"), CASES)
def test_an_event_has_the_same_words_live_and_rebuilt(title: str, summary: str) -> None:
    stories = StoryIndex(DedupConfig())
    stories.find(title, summary, 1000.0)
    stories.add(1, 1, title, summary, 1000.0)
    live = EventIndex(EventConfig(), window=86400.0)
    found = live.find(1, title, summary, 1000.0, headline=stories.last_headline)
    assert found.event_id is None
    live.add(1, 1, title, summary, 1000.0, headline=stories.last_headline)
    rebuilt = EventIndex(EventConfig(), window=86400.0)  # as store.events.load_events rebuilds it
    rebuilt.add(1, 1, title, summary, 1000.0, embed=False)
    assert dict(rebuilt._events[1].words) == dict(live._events[1].words)


async def test_a_window_of_stale_keys_is_parsed_as_story_matching_parses_it(
    tmp_path: Path,
) -> None:
    """Keys of another parse version (KEY_VERSION 4: the language rules changed) are parsed
    again at start, as story matching parses the item (its summary read for its language):
    not as English, which would keep "les", "la", "de" and join other French news on them."""
    now = datetime.now(UTC).replace(microsecond=0)
    items = [
        Item(key=str(n), title=t, summary=s, url=f"https://paris/{n}", canonical_url=None,
             guid=None, published=now + timedelta(minutes=n), first_seen=now)
        for n, (t, s) in enumerate([*CASES, ("Le PSG en finale de la Ligue", "")])
    ]  # fmt: skip
    store = await Store.open(tmp_path / "m.db")
    try:
        async with store.transaction() as db:
            feed = (await feed_store.sync_feeds(db, ["http://paris/f"]))["http://paris/f"]
            inserted = await item_store.insert_new(db, feed.id, items)
            stored = [StoredItem(i, feed.id, "Paris", (), item) for i, item in inserted]
            await assign_stories(db, StoryIndex(DedupConfig()), stored)
        keys = []
        for update in (None, "UPDATE items SET headline_key = '2|' || headline_key"):
            if update:
                async with store.transaction() as db:
                    await db.execute(update)
            index = StoryIndex(DedupConfig())
            assert await rebuild_index(store.db, index, now - timedelta(hours=1)) == len(items)
            keys.append([index.window.headlines.key(e) for e in range(index.window.entries)])
        assert keys[0] == keys[1]
    finally:
        await store.close()
