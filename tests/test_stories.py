"""Stories in the store: assignment, restart, URL joins, listing; the two CLI commands."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import assign_stories

from monitor.cli import main
from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import KEY_VERSION, parse
from monitor.dedup.index import StoryIndex
from monitor.models import Item, StoredItem
from monitor.store import Store
from monitor.store import feeds as feed_store
from monitor.store import items as item_store
from monitor.store.stories import list_stories, rebuild_index

CONFIG = DedupConfig()
RAIL = "Mayor calls emergency summit over rail strike"
RAIL_UPDATE = "UPDATE 1-Harbour city mayor calls emergency summit on rail strike"
RAIL_WIRE = "Rail strike: mayor calls summit - Wire"
BOMB = "Suicide bomber kills 12 in Nigeria church"
OTHER_BOMB = "Suicide bomber kills 21 in NW Pakistan"
FIGURES_DIFFER = "figures differ: 12 vs 21 (a revised figure is news of its own, not a copy)"


def _item(
    key: str, title: str, when: datetime, url: str | None = None, guid: str | None = None
) -> Item:
    return Item(key=key, title=title, summary="", url=url, canonical_url=url, guid=guid,
                published=when, first_seen=when)  # fmt: skip


async def _insert(store: Store, feed_url: str, name: str, items: list[Item]) -> list[StoredItem]:
    async with store.transaction() as db:
        feed = (await feed_store.sync_feeds(db, [feed_url]))[feed_url]
        inserted = await item_store.insert_new(db, feed.id, items)
    return [StoredItem(i, feed.id, name, (), item) for i, item in inserted]


async def test_assign_new_story_join_and_outlets(tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    store = await Store.open(tmp_path / "m.db")
    index = StoryIndex(CONFIG)
    try:
        wire = await _insert(store, "http://wire/feed", "Wire", [
            _item("a", RAIL, now, "https://wire/a"),
            _item("b", BOMB, now + timedelta(minutes=1), "https://wire/b"),
        ])  # fmt: skip
        herald = await _insert(store, "http://herald/feed", "Herald", [
            _item("c", RAIL_UPDATE, now + timedelta(minutes=5), "https://herald/c"),
            _item("d", OTHER_BOMB, now + timedelta(minutes=6), "https://herald/d"),
        ])  # fmt: skip
        more = await _insert(store, "http://wire/feed", "Wire", [
            _item("e", RAIL_WIRE, now + timedelta(minutes=9), "https://wire/e"),
        ])  # fmt: skip
        async with store.transaction() as db:
            changes = await assign_stories(db, index, wire + herald + more)
        assert [c.is_new_story for c in changes] == [True, True, False, True, False]
        assert [c.gained_outlet for c in changes] == [True, True, True, True, False]
        rail = changes[2].story
        assert rail.id == changes[0].story.id
        assert rail.title == RAIL and rail.url == "https://wire/a"
        assert rail.outlets == ("Wire", "Herald")
        assert rail.first_seen == now and rail.last_seen >= now + timedelta(minutes=5)
        assert changes[4].story.last_seen == now + timedelta(minutes=9)
        async with store.db.raw.execute("SELECT outlets FROM stories WHERE id = ?", (rail.id,)) as cur:
            assert (await cur.fetchone())[0] == 2  # type: ignore[index]
        async with store.db.raw.execute("SELECT COUNT(*) FROM items WHERE story_id IS NULL") as cur:
            assert (await cur.fetchone())[0] == 0  # type: ignore[index]
        stories = await list_stories(store.db, None)
        assert [s["title"] for s in stories][-1] == RAIL  # newest first
        (listed,) = [s for s in stories if s["id"] == rail.id]
        assert listed["outlets"] == 2
        assert [i["feed"] for i in listed["items"]] == ["Wire", "Herald", "Wire"]
        assert listed["items"][0]["published"] == now.isoformat()
        assert await list_stories(store.db, now + timedelta(days=1)) == []
    finally:
        await store.close()


async def test_restart_keeps_stories_and_new_variants_join(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    store = await Store.open(tmp_path / "m.db")
    try:
        first = await _insert(store, "http://wire/feed", "Wire", [
            _item("a", RAIL, now, "https://wire/a", guid="wire-a"),
        ])  # fmt: skip
        async with store.transaction() as db:
            (change,) = await assign_stories(db, StoryIndex(CONFIG), first)
    finally:
        await store.close()
    store = await Store.open(tmp_path / "m.db")
    index = StoryIndex(CONFIG)
    try:
        assert await rebuild_index(store.db, index, now - timedelta(hours=72)) == 1
        assert await rebuild_index(store.db, StoryIndex(CONFIG), now + timedelta(hours=1)) == 0
        later = now + timedelta(minutes=20)
        more = await _insert(store, "http://herald/feed", "Herald", [
            _item("b", RAIL_WIRE, later),
            # the same canonical URL under a new GUID and another headline: the same story
            _item("c", "Completely different words", later, "https://wire/a", guid="new-guid"),
        ])  # fmt: skip
        async with store.transaction() as db:
            changes = await assign_stories(db, index, more)
        assert [c.story.id for c in changes] == [change.story.id] * 2
        assert not changes[0].is_new_story and changes[0].gained_outlet
        assert not changes[1].gained_outlet
        assert changes[1].story.outlets == ("Wire", "Herald")
    finally:
        await store.close()


def test_cli_dedup_check_text_and_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./config.toml: the defaults, said on stderr
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    config = Path(__file__).parent / "no-such-config.toml"
    assert main(["dedup-check", "-c", str(config), RAIL, RAIL_WIRE]) == 2  # named and missing
    capsys.readouterr()
    assert main(["dedup-check", RAIL, RAIL_WIRE]) == 0
    captured = capsys.readouterr()
    story_line = captured.out.splitlines()[0]
    assert story_line.startswith("story: score ") and story_line.endswith(": the same story")
    assert "default" in captured.err
    assert main(["dedup-check", BOMB, OTHER_BOMB]) == 0
    story_line = capsys.readouterr().out.splitlines()[0]
    assert story_line.endswith(": different stories: " + FIGURES_DIFFER), story_line
    assert main(["dedup-check", BOMB, OTHER_BOMB, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["duplicate"] is False and isinstance(result["score"], float)


def test_cli_dedup_check_pairs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[dedup]\nthreshold = 60\n")
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(f"{RAIL}\t{RAIL_UPDATE}\n\n{BOMB}\t{OTHER_BOMB}\n")
    assert main(["dedup-check", "-c", str(config), "--pairs", str(pairs), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["duplicate"] for r in lines] == [True, False]
    assert set(lines[0]) == {"score", "duplicate"}
    assert lines[1]["figures_apart"] == {"a": ["12"], "b": ["21"]}
    pairs.write_text(f"{RAIL}\t{RAIL_UPDATE}\nonly one headline\n")
    assert main(["dedup-check", "-c", str(config), "--pairs", str(pairs)]) == 2
    assert "pairs.tsv:2: expected two headlines separated by a tab" in capsys.readouterr().err


async def test_cli_stories(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[monitor]\ndatabase = "{tmp_path / "m.db"}"\n')
    store = await Store.open(tmp_path / "m.db")
    try:
        now = datetime.now(UTC)
        stored = await _insert(store, "http://wire/feed", "Wire", [
            _item("a", RAIL, now, "https://w/a"),
            _item("b", RAIL_UPDATE, now, "https://w/b"),
        ])  # fmt: skip
        async with store.transaction() as db:
            await assign_stories(db, StoryIndex(CONFIG), stored)
    finally:
        await store.close()
    # main() runs asyncio.run(): not from inside this test's running loop.
    import asyncio

    code = await asyncio.to_thread(main, ["stories", "-c", str(config), "--since", "24h", "--json"])
    assert code == 0
    (story,) = json.loads(capsys.readouterr().out)["stories"]
    assert story["title"] == RAIL and story["outlets"] == 1
    assert [i["url"] for i in story["items"]] == ["https://w/a", "https://w/b"]
    assert set(story["items"][0]) == {"feed", "source", "site", "title", "raw_title", "url", "raw_url", "published"}
    assert await asyncio.to_thread(main, ["stories", "-c", str(config)]) == 0
    text = capsys.readouterr().out
    assert RAIL in text and "Wire" in text and "https://w/b" in text
    assert await asyncio.to_thread(main, ["stories", "-c", str(config), "--since", "soon"]) == 2


async def test_rebuild_reads_stored_keys_and_old_rows_are_parsed(tmp_path: Path) -> None:
    # A restart loads the window from the parsed headlines the store kept; rows from before
    # the column (NULL) or from another parse version are parsed again. All three give the
    # same stories.
    now = datetime.now(UTC).replace(microsecond=0)
    titles = [RAIL, BOMB, RAIL_UPDATE, OTHER_BOMB, RAIL_WIRE, "Café owners protest new tax in Zürich",
              "Cafe owners protest new tax in Zurich - Wire", "NATO Soldier Killed In Afghan Attack",
              "NATO soldier killed in Afghan attack"]  # fmt: skip
    store = await Store.open(tmp_path / "m.db")
    try:
        stored = await _insert(store, "http://wire/feed", "Wire", [
            _item(str(i), t, now + timedelta(minutes=i), f"https://wire/{i}", f"g{i}")
            for i, t in enumerate(titles)
        ])  # fmt: skip
        async with store.transaction() as db:
            changes = await assign_stories(db, StoryIndex(CONFIG), stored)
        story_of = {c.item.item.title: c.story.id for c in changes}
        assert len(set(story_of.values())) == 5
        async with store.db.raw.execute("SELECT title, headline_key FROM items") as cur:
            for title, key in await cur.fetchall():
                assert key == f"{KEY_VERSION}|{parse(title).key()}"
        since = now - timedelta(hours=1)
        probes = [(RAIL_WIRE + " | Daily Post", None), (OTHER_BOMB + " - Wire", None),
                  ("Cafe owners protest tax in Zurich", None), ("Other words", "https://wire/7")]  # fmt: skip
        found = []
        for update in (
            None,  # the stored keys
            "UPDATE items SET headline_key = NULL",  # rows from before the column
            "UPDATE items SET headline_key = '0|stale key' WHERE id % 2 = 0",  # an older parse
        ):
            if update:
                async with store.transaction() as db:
                    await db.execute(update)
            index = StoryIndex(CONFIG)
            assert await rebuild_index(store.db, index, since) == len(titles)
            found.append([index.find(t, "", now + timedelta(hours=1), url) for t, url in probes])
        assert found[0] == found[1] == found[2]
        assert [m.story_id for m in found[0]] == [
            story_of[RAIL],
            story_of[OTHER_BOMB],
            story_of[titles[5]],
            story_of[titles[7]],
        ]
    finally:
        await store.close()
