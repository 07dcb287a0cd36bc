"""The store answers a poll's questions in batches: a poll of 1,200 items, 700 of them
known, stores exactly the 500 new ones under the ids it reports; lists of any length are
asked about in chunks that find every row; a poll's matches, of any number, are stored and
reported once each; a story's last_seen and outlets, kept from each
poll's items, are what recounting all its items gives. On both backends."""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from helpers import assign_stories

from monitor.assign import StoryChange
from monitor.dedup.config import DedupConfig
from monitor.dedup.index import StoryIndex
from monitor.models import Item, Match, StoredItem, TermHit
from monitor.store import Store
from monitor.store import feeds as feed_store
from monitor.store import items as item_store
from monitor.store import matches as match_store
from monitor.store.batch import in_lists
from monitor.store.db import Db


def _item(n: int) -> Item:
    now = datetime(2025, 11, 5, tzinfo=UTC)
    url = f"https://example.org/{n}"
    return Item(key=f"k{n}", title=f"Headline {n}", summary="", url=url, canonical_url=url,
                guid=None, published=now, first_seen=now)  # fmt: skip


async def test_a_big_poll_stores_only_its_new_items_under_the_ids_it_returns(
    database: str,
) -> None:
    store = await Store.open(database)
    try:
        async with store.transaction() as db:
            states = await feed_store.sync_feeds(db, ["http://a/feed", "http://b/feed"])
            a, b = states["http://a/feed"].id, states["http://b/feed"].id
            await item_store.insert_new(db, b, [_item(n) for n in range(50)])  # other feed
            first = await item_store.insert_new(db, a, [_item(n) for n in range(0, 1400, 2)])
        assert len(first) == 700
        poll = [_item(n) for n in range(1200)] + [_item(3)]  # 0..1198 even are known
        async with store.transaction() as db:
            new = await item_store.insert_new(db, a, poll)
        assert [i.key for _, i in new] == [f"k{n}" for n in range(1, 1200, 2)]
        stored = {
            r[0]: r[1]
            for r in await store.db.fetch_all("SELECT id, key FROM items WHERE feed_id = ?", (a,))
        }
        assert all(stored[item_id] == item.key for item_id, item in new)
        count = await store.db.fetch_all("SELECT COUNT(*) FROM items WHERE feed_id = ?", (a,))
        assert next(iter(count))[0] == 1300
        async with store.transaction() as db:
            assert await item_store.insert_new(db, a, poll) == []
    finally:
        await store.close()


async def test_in_lists_find_every_row_whatever_the_length(database: str) -> None:
    store = await Store.open(database)
    try:
        async with store.transaction() as db:
            feed = (await feed_store.sync_feeds(db, ["http://a/feed"]))["http://a/feed"]
            stored = await item_store.insert_new(db, feed.id, [_item(n) for n in range(1100)])
        ids = [item_id for item_id, _ in stored]
        for length in (1, 2, 3, 17, 500, 501, 1100):
            found: list[int] = []
            marks_seen = set()
            for marks, params in in_lists(ids[:length], chunk=500):
                assert len(params) == marks.count("?") and len(params) & (len(params) - 1) == 0
                marks_seen.add(marks.count("?"))
                rows = await store.db.fetch_all(
                    f"SELECT id FROM items WHERE id IN ({marks})", params
                )
                found += [r[0] for r in rows]
            assert sorted(found) == ids[:length], length
            assert max(marks_seen) <= 512
    finally:
        await store.close()


STORIES = [
    "Mayor calls emergency summit over rail strike",
    "Suicide bomber kills 12 in Nigeria church",
    "Central bank raises rates to curb inflation",
    "Floods cut power to thousands in the north",
]


async def test_story_counts_kept_per_poll_match_a_recount(database: str) -> None:
    rng = random.Random(7)
    start = datetime(2025, 11, 5, tzinfo=UTC)
    store = await Store.open(database)
    index = StoryIndex(DedupConfig())
    feeds = [f"http://outlet{n}/feed" for n in range(6)]
    try:
        async with store.transaction() as db:
            states = await feed_store.sync_feeds(db, feeds)
        n = 0
        for poll in range(40):  # outlets carry the same stories, in any order, some dated
            url = rng.choice(feeds)
            items = []
            for _ in range(rng.randint(1, 4)):
                n += 1
                when = start + timedelta(minutes=poll * 7 + rng.randint(0, 30))
                published = when if rng.random() < 0.7 else None
                link = f"https://wire.example/{rng.randint(0, 5)}" if rng.random() < 0.3 else None
                items.append(
                    Item(key=f"k{n}", title=rng.choice(STORIES), summary="", url=link,
                         canonical_url=link, guid=None, published=published,
                         first_seen=start + timedelta(minutes=poll * 7))
                )  # fmt: skip
            async with store.transaction() as db:
                inserted = await item_store.insert_new(db, states[url].id, items)
                stored = [StoredItem(i, states[url].id, url, (), item) for i, item in inserted]
                await assign_stories(db, index, stored)
        rows = await store.db.fetch_all(
            "SELECT s.id, s.last_seen, s.outlets, MAX(COALESCE(i.published, i.first_seen)),"
            " COUNT(DISTINCT i.feed_id), COUNT(*) FROM stories s JOIN items i ON i.story_id = s.id"
            " GROUP BY s.id, s.last_seen, s.outlets ORDER BY s.id"
        )
        assert any(r[5] > 5 for r in rows)  # stories that grew over many polls
        assert [(r[0], r[1], r[2]) for r in rows] == [(r[0], r[3], r[4]) for r in rows]
        assert rows
    finally:
        await store.close()


async def _items_in_stories(db: Db, count: int) -> list[StoryChange]:
    """``count`` new items of one feed, stored and given their stories."""
    feed = (await feed_store.sync_feeds(db, ["http://a/feed"]))["http://a/feed"]
    inserted = await item_store.insert_new(db, feed.id, [_item(n) for n in range(count)])
    stored = [StoredItem(i, feed.id, "http://a/feed", (), item) for i, item in inserted]
    return await assign_stories(db, StoryIndex(DedupConfig()), stored)


def _fields(hits: Sequence[TermHit]) -> list[dict[str, object]]:
    """Each hit as ``json.dumps`` would be given it: its fields by name."""
    return [{f.name: getattr(h, f.name) for f in dataclasses.fields(h)} for h in hits]


def _match(rule: str, n: int) -> Match:
    hit = TermHit(term=f"term{n}", text=f"Zelenskyy «{n}»", field="title", start=0, end=9)
    return Match(rule=rule, severity="normal", channels=("desk",), hits=(hit,), snippet=f"s{n}")


async def test_a_polls_matches_are_stored_once_each_whatever_their_number(database: str) -> None:
    # Batches of every size around the statement's steps and limit, each with a repeat
    # inside it and pairs an earlier batch stored: each new pair is stored and reported once.
    store = await Store.open(database)
    try:
        async with store.transaction() as db:
            changes = await _items_in_stories(db, 300)
        pairs = [(c.story.id, c.item.id) for c in changes]
        expected: set[tuple[int, str]] = set()
        for size in (1, 15, 16, 17, 128, 129, 300):
            rule = f"rule-{size}"
            batch = [(s, i, _match(rule, i)) for s, i in pairs[:size]]
            batch += batch[:1] + [(s, i, _match("rule-1", i)) for s, i in pairs[:1]]
            async with store.transaction() as db:
                new = await match_store.record_many(db, batch, now=1.0)
            assert new == {(i, rule) for _, i, _ in batch[:size]}, size
            expected |= new
        rows = await store.db.fetch_all("SELECT item_id, rule, terms, hits, snippet FROM matches")
        assert {(r[0], r[1]) for r in rows} == expected and len(rows) == len(expected)
        item_id, rule, terms, hits, snippet = next(r for r in rows if r[1] == "rule-129")
        assert json.loads(terms) == [f"term{item_id}"] and snippet == f"s{item_id}"
        assert json.loads(hits)[0]["text"] == f"Zelenskyy «{item_id}»"
    finally:
        await store.close()


# Texts a hit may hold, as feeds write them: quotes, backslashes, other scripts, control
# characters that survived (a tab), emoji outside the BMP, an empty term.
HIT_TEXTS = [
    ('"Putin"', 'He said "no" to C:\\talks'),
    ("Зеленский", "Зеленский приглашён в Москву"),
    ("tab", "a\tb\nc"),
    ("emoji", "talks 🇺🇦 resume"),
    ("", "</script><b>&amp;</b>"),
]


async def test_a_matchs_terms_and_hits_are_stored_as_the_json_of_its_hits(
    database: str,
) -> None:
    hits = tuple(
        TermHit(term=term, text=text, field=field, start=n, end=n + len(text))
        for n, (term, text) in enumerate(HIT_TEXTS)
        for field in ("title", "summary")
    )
    match = Match(rule="r", severity="normal", channels=("desk",), hits=hits, snippet="s")
    store = await Store.open(database)
    try:
        async with store.transaction() as db:
            (change,) = await _items_in_stories(db, 1)
            await match_store.record_many(db, [(change.story.id, change.item.id, match)], 1.0)
        terms, stored_hits = (await store.db.fetch_all("SELECT terms, hits FROM matches"))[0]
    finally:
        await store.close()
    fields = _fields(hits)
    # The text as json.dumps writes it (what the rows of older versions hold), and its values.
    assert stored_hits == json.dumps(fields, ensure_ascii=False)
    assert terms == json.dumps([t for t, _ in HIT_TEXTS], ensure_ascii=False)
    assert json.loads(stored_hits) == fields


# Matches of one poll that share hits (one word in many rules), or nearly: the same term and
# text at another place or in another field.
SHARED_HITS = [
    ("r1", [("putin", "Putin", "title", 0, 5), ("kyiv", "Kyiv", "title", 9, 13)]),
    ("r2", [("putin", "Putin", "title", 0, 5)]),
    ("r3", [("putin", "Putin", "title", 20, 25), ("putin", "Putin", "title", 0, 5)]),
    ("r4", [("putin", "Putin", "summary", 0, 5), ("kyiv", "Kyiv", "title", 9, 13)]),
    ("r5", [("putin", "Путин", "title", 0, 5)]),
]


async def test_matches_sharing_hits_in_a_poll_each_store_the_json_of_their_own(
    database: str,
) -> None:
    matches = [
        Match(rule, "normal", ("desk",), tuple(TermHit(*hit) for hit in hits), "s")
        for rule, hits in SHARED_HITS
    ]
    store = await Store.open(database)
    try:
        async with store.transaction() as db:
            (change,) = await _items_in_stories(db, 1)
            batch = [(change.story.id, change.item.id, m) for m in matches]
            await match_store.record_many(db, batch, 1.0)
        rows = await store.db.fetch_all("SELECT rule, terms, hits FROM matches ORDER BY rule")
    finally:
        await store.close()
    for (rule, terms, stored_hits), match in zip(rows, matches, strict=True):
        fields = _fields(match.hits)
        assert rule == match.rule
        assert stored_hits == json.dumps(fields, ensure_ascii=False), rule
        firsts = list(dict.fromkeys(h.term for h in match.hits))
        assert terms == json.dumps(firsts, ensure_ascii=False), rule
