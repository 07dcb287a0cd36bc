"""A feed's refresh end to end against a local server, with real feeds from ../shared/data."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from conftest import shared
from feedserver import FeedServer, rss
from helpers import make_config

from monitor.engine import Engine
from monitor.oneshot import poll_all
from monitor.pipeline import refresh_feed

REAL_FEEDS = ["guardian.rss", "heise.atom", "uolNoticias.rss", "reddit.rss", "feedburner.atom"]


async def count_items(rt) -> int:  # type: ignore[no-untyped-def]
    async with rt.store.db.raw.execute("SELECT COUNT(*) FROM items") as cur:
        row = await cur.fetchone()
    return int(row[0])


@pytest.mark.parametrize("name", REAL_FEEDS)
async def test_real_feed_first_poll_stores_every_item_then_304(
    name: str, feed_server: FeedServer, tmp_path: Path
) -> None:
    body = shared("real-feeds", name).read_bytes()
    expected = len(feedparser.parse(body).entries)
    feed_server.feed("/feed", body)
    config = make_config(tmp_path, [feed_server.url("/feed")])
    engine = await Engine.open(config)
    rt = engine.rt
    try:
        first = await refresh_feed(rt, config.feeds[0])
        assert first.result == "new", first.error
        assert first.new_items == expected > 0
        assert await count_items(rt) == expected
        second = await refresh_feed(rt, config.feeds[0])
        assert second.result == "not_modified"
        sent = feed_server.hits("/feed")[-1].headers
        assert "If-None-Match" in sent and "If-Modified-Since" in sent
        assert await count_items(rt) == expected
    finally:
        await engine.close()


async def test_same_bytes_without_validators_are_not_parsed_again(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed_server.feed("/feed", shared("real-feeds", "guardian.rss").read_bytes(), validators=False)
    config = make_config(tmp_path, [feed_server.url("/feed")])
    parses = []
    import monitor.parsethread as pipeline

    real_parse = pipeline.parse_feed

    def counting_parse(*args, **kwargs):  # type: ignore[no-untyped-def]
        parses.append(1)
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(pipeline, "parse_feed", counting_parse)
    engine = await Engine.open(config)
    rt = engine.rt
    try:
        assert (await refresh_feed(rt, config.feeds[0])).result == "new"
        again = await refresh_feed(rt, config.feeds[0])
        assert again.result == "unchanged"
        assert len(parses) == 1
        assert len(feed_server.hits("/feed")) == 2
    finally:
        await engine.close()


async def test_restart_keeps_validators_and_stores_no_item_twice(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    body = shared("real-feeds", "heise.atom").read_bytes()
    feed_server.feed("/feed", body)
    config = make_config(tmp_path, [feed_server.url("/feed")])
    engine = await Engine.open(config)
    rt = engine.rt
    try:
        await refresh_feed(rt, config.feeds[0])
        stored = await count_items(rt)
    finally:
        await engine.close()
    engine = await Engine.open(config)
    rt = engine.rt  # a restart: a new runtime on the same database
    try:
        outcome = await refresh_feed(rt, config.feeds[0])
        assert outcome.result == "not_modified"
        assert feed_server.hits("/feed")[-1].headers.get("If-None-Match")
        # Even when the server forgets its validators, nothing is stored twice.
        feed_server.feed("/feed", body + b"\n", validators=False)
        outcome = await refresh_feed(rt, config.feeds[0])
        assert outcome.result == "new" and outcome.new_items == 0
        assert await count_items(rt) == stored
    finally:
        await engine.close()


async def test_new_items_are_the_only_ones_passed_on(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    items = [(f"Story {i}", f"http://example.org/{i}") for i in range(5)]
    feed_server.feed("/feed", rss("Wire", items))
    config = make_config(tmp_path, [feed_server.url("/feed")])
    seen: list[str] = []

    async def after_store(db, stored, now):  # type: ignore[no-untyped-def]
        seen.extend(s.item.title for s in stored)

    engine = await Engine.open(config)

    rt = engine.rt
    rt.stages.process = after_store  # type: ignore[method-assign]
    try:
        await refresh_feed(rt, config.feeds[0])
        feed_server.feed("/feed", rss("Wire", [*items, ("Story 5", "http://example.org/5")]))
        await refresh_feed(rt, config.feeds[0])
        assert seen == [f"Story {i}" for i in range(6)]
        async with rt.store.db.raw.execute("SELECT title FROM feeds") as cur:
            assert (await cur.fetchone())[0] == "Wire"
    finally:
        await engine.close()


async def test_permanent_redirect_updates_the_stored_url(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    from aiohttp import web

    feed_server.feed("/new", rss("Moved", [("A", "http://example.org/a")]))
    feed_server.handler("/old", lambda r: web.Response(status=301, headers={"Location": "/new"}))
    config = make_config(tmp_path, [feed_server.url("/old")])
    engine = await Engine.open(config)
    rt = engine.rt
    try:
        assert (await refresh_feed(rt, config.feeds[0])).new_items == 1
        assert rt.states[config.feeds[0].url].fetch_url == feed_server.url("/new")
        await refresh_feed(rt, config.feeds[0])
        assert [r.path for r in feed_server.requests] == ["/old", "/new", "/new"]
    finally:
        await engine.close()


async def test_poll_all_reports_progress_and_polls_every_feed(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = []
    for i in range(20):
        feed_server.feed(f"/f{i}", rss(f"Feed {i}", [(f"Item {i}", f"http://example.org/{i}")]))
        urls.append(feed_server.url(f"/f{i}"))
    engine = await Engine.open(make_config(tmp_path, urls))
    rt = engine.rt
    try:
        outcomes = await poll_all(rt)
    finally:
        await engine.close()
    assert sorted(o.new_items for o in outcomes) == [1] * 20
    assert "polled feeds: 20/20 (100%)" in capsys.readouterr().err


async def test_a_failure_after_fetch_loses_nothing(feed_server: FeedServer, tmp_path: Path) -> None:
    """A crash in the stages after store rolls the poll back; the next poll stores the items."""
    feed_server.feed("/feed", rss("Wire", [("Alpha", "http://example.org/a")]))
    config = make_config(tmp_path, [feed_server.url("/feed")])
    calls = []

    async def broken(db, stored, now):  # type: ignore[no-untyped-def]
        calls.append(len(stored))
        if len(calls) == 1:
            raise RuntimeError("boom")

    engine = await Engine.open(config)

    rt = engine.rt
    rt.stages.process = broken  # type: ignore[method-assign]
    try:
        first = await refresh_feed(rt, config.feeds[0])
        assert first.result == "error" and "internal error (RuntimeError: boom)" in (
            first.error or ""
        )
        state = rt.states[config.feeds[0].url]
        assert state.error_streak == 1 and state.etag is None and state.body_hash is None
        assert await count_items(rt) == 0
        second = await refresh_feed(rt, config.feeds[0])
        assert second.result == "new" and second.new_items == 1
        assert calls == [1, 1]
        assert state.error_streak == 0 and state.etag is not None
    finally:
        await engine.close()
