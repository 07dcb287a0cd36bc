"""A poll sends only the story outlets its stories gain (``first_per_outlet(known=...)``, from
``read_outlets``): story_outlets must end exactly as when every row was sent and the unique
indexes refused the known ones. Random polls of items with and without <source>, with and
without a site, feeds named like another outlet, feeds renamed, a site named late
(``name_site``), a story created and joined in one poll; real SQLite stores (review24d)."""

from __future__ import annotations

import asyncio
import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.models import Item, StoredItem
from monitor.store import Store, open_store
from monitor.store.outlets import first_per_outlet, name_site
from monitor.store.stories import _OUTLETS
from monitor.store.story_rows import read_outlets

NAMES = ["Reuters", "AP", "BBC", "Google News"]
SOURCES = ["", "", "Reuters", "AP", "reuters"]
SITES = ["", "", "reuters.com", "apnews.com"]
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _item(rng: random.Random, iid: int, feed: int, names: dict[int, str]) -> StoredItem:
    it = Item(
        key=f"k{iid}",
        title=f"t{iid}",
        summary="",
        url=None,
        canonical_url=None,
        guid=None,
        published=None,
        first_seen=T0 + timedelta(seconds=iid),
        source=rng.choice(SOURCES),
        site=rng.choice(SITES),
    )
    return StoredItem(id=iid, feed_id=feed, feed_name=names[feed], feed_tags=(), item=it)


async def _setup(store: Store, items: list[tuple[int, StoredItem]]) -> None:
    async with store.transaction() as db:
        for f in range(1, 5):
            await db.execute(
                "INSERT INTO feeds (id, url, created_at) VALUES (?, ?, 0)", (f, f"u{f}")
            )
        for s in range(1, 5):
            await db.execute(
                "INSERT INTO stories (id, title, first_seen, last_seen) VALUES (?, 't', 0, 0)", (s,)
            )
        for owner, st in items:
            await db.execute(
                "INSERT INTO items (id, feed_id, key, title, summary, first_seen, story_id, source, site)"
                " VALUES (?, ?, ?, 't', '', ?, ?, ?, ?)",
                (
                    st.id,
                    st.feed_id,
                    st.item.key,
                    st.item.first_seen.timestamp(),
                    owner,
                    st.item.source or None,
                    st.item.site or None,
                ),
            )


async def _scenario(
    url_a: str, url_b: str, seed: int
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    rng = random.Random(seed)
    names = {f: rng.choice(NAMES) for f in range(1, 5)}
    iid = 0
    before = []
    for _ in range(rng.randint(0, 10)):
        iid += 1
        before.append((rng.randint(1, 3), _item(rng, iid, rng.randint(1, 4), names)))
    late = (
        (rng.randint(1, 4), rng.choice(["reuters.com", "bbc.co.uk"]))
        if rng.random() < 0.5
        else None
    )
    if rng.random() < 0.5:
        names[rng.randint(1, 4)] = rng.choice(NAMES) + " renamed"
    poll = []
    for _ in range(rng.randint(1, 10)):
        iid += 1
        poll.append((rng.randint(1, 4), _item(rng, iid, rng.randint(1, 4), names)))
    out: list[list[tuple[object, ...]]] = []
    for url, filtered in ((url_a, False), (url_b, True)):
        store = await open_store(url)
        try:
            await _setup(store, before + poll)
            async with store.transaction() as db:
                await _OUTLETS.insert(db, first_per_outlet(before))
                if late:
                    await name_site(db, *late)
            async with store.transaction() as db:
                # story 4 is created by this poll: never read (as stories.record)
                _, known = await read_outlets(db, [1, 2, 3])
                rows = first_per_outlet(poll, known=known) if filtered else first_per_outlet(poll)
                await _OUTLETS.insert(db, rows)
            out.append(
                [
                    tuple(r)
                    for r in await store.db.fetch_all(
                        "SELECT story_id, feed_id, name, first_seen, item_id, site FROM story_outlets"
                        " ORDER BY story_id, item_id"
                    )
                ]
            )
        finally:
            await store.close()
    return out[0], out[1]


def test_a_poll_sending_only_new_outlets_leaves_the_rows_all_rows_would(tmp_path: Path) -> None:
    template = tmp_path / "template.db"

    async def migrated() -> None:
        await (await open_store(str(template))).close()

    asyncio.run(migrated())
    differ = []
    for seed in range(150):
        a, b = tmp_path / f"{seed}a.db", tmp_path / f"{seed}b.db"
        shutil.copy(template, a)
        shutil.copy(template, b)
        sent_all, sent_new = asyncio.run(_scenario(str(a), str(b), seed))
        if sent_all != sent_new:
            differ.append(seed)
    assert differ == []
