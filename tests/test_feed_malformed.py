"""A feed whose XML is broken so that items may be lost (a truncated body, a mismatched tag
that swallows an item) keeps the items feedparser recovers, and the body's problem is the
feed's: one log line names it, ``monitor status`` shows it, and the feed-health alert comes
after ``health_after`` as for a feed that fails. The problem stays with the body (a 304 or
the same bytes keep it) and apart from failed fetches: it changes no poll's schedule.

A feed whose every item reads (a stray "&", an &nbsp; without its DTD, a blank line before
``<?xml``) is fine, whatever feedparser complains of."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import pytest
from aiohttp import web
from conftest import shared
from feedserver import FeedServer, rss
from helpers import config_file, make_config

from monitor.cli import main
from monitor.engine import Engine
from monitor.errors import ParseError
from monitor.feedhealth import check_feeds, transitions
from monitor.oneshot import poll_all
from monitor.parse.feed import parse_feed
from monitor.store import report

ITEMS = [("Putin one", "http://x.example/1"), ("Putin two", "http://x.example/2")]
# Cut short inside a third item: feedparser still reads what comes before the cut.
TRUNCATED = rss("Cut", [*ITEMS, ("Putin three", "http://x.example/3")])[:-60]
HOUR = 3600.0

HEAD = b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>N</title>\n'
TAIL = b"</channel></rss>\n"


def _item(title: bytes, n: int) -> bytes:
    return b"<item><title>" + title + b"</title><link>http://ex.com/%d</link></item>\n" % n


THREE = HEAD + _item(b"One", 1) + _item(b"Two", 2) + _item(b"Three", 3) + TAIL
# Every item reads: feedparser complains, nothing is lost.
WHOLE = {
    "stray-ampersand": HEAD + _item(b"Tom & Jerry", 1) + _item(b"Two", 2) + TAIL,
    "html-entity": HEAD + _item(b"Caf&eacute;&nbsp;Ost", 1) + _item(b"Two", 2) + TAIL,
    "blank-line-before-decl": b"\n" + HEAD + _item(b"One", 1) + _item(b"Two", 2) + TAIL,
    "junk-after-the-feed": HEAD + _item(b"One", 1) + _item(b"Two", 2) + TAIL + b"<div>ad</div>",
    # A page cache's footer (W3 Total Cache writes 300-370 bytes) or padding after the feed.
    "cache-footer-after-the-feed": b"\n" + HEAD + _item(b"Tom & Jerry", 1) + _item(b"Two", 2)
    + TAIL + b"<!-- Performance optimized by W3 Total Cache.\n" + b"Served from cache. " * 20
    + b"-->",
    "padding-after-the-feed": HEAD + _item(b"Tom & Jerry", 1) + _item(b"Two", 2) + TAIL
    + b"\n" * 300,
}
# Items may be lost: cut inside an item, cut between two (the rest is gone), a tag mismatch
# after which feedparser reads no more items.
BROKEN = {
    "cut-inside-an-item": THREE[: THREE.index(b"Three") + 3],
    "cut-between-items": THREE[: THREE.index(b"<item><title>Three")],
    "mismatched-tag": THREE.replace(b"Two</title>", b"Two</titel>"),
}


@pytest.mark.parametrize("name", sorted(WHOLE))
def test_a_body_whose_items_all_read_is_not_malformed(name: str) -> None:
    parsed = parse_feed(WHOLE[name], {"content-type": "application/rss+xml"}, url="http://ex.com/f")
    assert parsed.warning  # feedparser's complaint, at debug level
    assert len(parsed.entries) == 2 and parsed.malformed is None


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_body_that_may_have_lost_items_is_malformed(name: str) -> None:
    parsed = parse_feed(
        BROKEN[name], {"content-type": "application/rss+xml"}, url="http://ex.com/f"
    )
    assert parsed.entries  # what could be read is kept
    assert (parsed.malformed or "").startswith("malformed XML at line "), parsed


def test_no_real_feed_that_reads_whole_is_malformed() -> None:
    # Three of these have a blank line before <?xml ...?>: feedparser's strict parser refuses
    # them, its loose one reads every item.
    flagged, read = [], 0
    for path in sorted(shared("real-feeds").iterdir()):
        if path.suffix in (".rss", ".atom"):
            try:
                parsed = parse_feed(
                    path.read_bytes(), {"content-type": "application/rss+xml"}, url="http://x.test/"
                )
            except ParseError:  # not a feed at all (unrecognized.rss): a failed poll
                continue
            read += 1
            if parsed.malformed:
                flagged.append((path.name, parsed.malformed))
    assert read >= 30 and flagged == []


async def test_a_truncated_feed_keeps_its_items_and_counts_as_a_problem(
    feed_server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    feed_server.feed("/cut", TRUNCATED)
    # A fine feed that feedparser also complains of (not an XML media type): no problem.
    feed_server.feed(
        "/fine", rss("Fine", [("Other", "http://y.example/1")]), content_type="text/html"
    )
    urls = [feed_server.url("/cut"), feed_server.url("/fine")]
    engine = await Engine.open(make_config(tmp_path, urls))
    try:
        with caplog.at_level(logging.WARNING, logger="monitor"):
            await poll_all(engine.rt, progress=False)
        cut, fine = engine.rt.states[urls[0]], engine.rt.states[urls[1]]
        stored = await report.rows_in(engine.store.db, ["items"])
        assert stored["items"] >= 3  # the items it recovered, and the fine feed's
        assert (cut.malformed or "").startswith("malformed XML at line 1: ")
        assert fine.malformed is None
        lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(lines) == 1 and lines[0].startswith("malformed XML at line 1:"), lines
        assert urls[0] in caplog.records[-1].__dict__.get("feed", "")
        # The same body again (a 304) is still the feed's problem, not a recovery.
        await poll_all(engine.rt, progress=False)
        assert cut.malformed is not None and fine.malformed is None
        since = cut.malformed_since or 0.0
        names = {u: u for u in urls}
        later = transitions([cut, fine], names, now=since + 2 * HOUR, health_after=HOUR, rhythms={})
        assert [(e.url, e.kind) for e in later] == [(urls[0], "failing")]
        assert "items may be lost: malformed XML at line 1" in later[0].message
        # Fixed: the next poll is fine again.
        feed_server.feed("/cut", rss("Cut", ITEMS))
        await poll_all(engine.rt, progress=False)
        assert cut.malformed is None and cut.malformed_since is None
    finally:
        await engine.close()


async def test_a_feed_whose_items_all_read_raises_no_health_alert(
    feed_server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    feed_server.feed("/amp", WHOLE["stray-ampersand"])
    url = feed_server.url("/amp")
    engine = await Engine.open(make_config(tmp_path, [url]))
    try:
        with caplog.at_level(logging.WARNING, logger="monitor"):
            await poll_all(engine.rt, progress=False)
            await poll_all(engine.rt, progress=False)  # the same body: a 304
        state = engine.rt.states[url]
        later = transitions(
            [state], {url: url}, now=(state.last_checked or 0) + 2 * HOUR,
            health_after=HOUR, rhythms={},
        )  # fmt: skip
        assert later == [], [e.message for e in later]
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    finally:
        await engine.close()


async def test_a_malformed_body_does_not_make_one_failed_fetch_wait_for_hours(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # Read every 10 minutes and broken for an hour, then one 503: the next poll comes after
    # the backoff of one failed fetch (2 x 10 min), not of seven (the 6 h max_backoff).
    assert parse_feed(TRUNCATED, {}, url="http://x.test/").malformed
    feed_server.feed("/cut", TRUNCATED)
    url = feed_server.url("/cut")
    engine = await Engine.open(make_config(tmp_path, [url], interval="10m"))
    try:
        for _ in range(6):
            await poll_all(engine.rt, progress=False)
        state = engine.rt.states[url]
        feed_server.handler("/cut", lambda request: web.Response(status=503))
        await poll_all(engine.rt, progress=False)
        wait = (state.next_check or 0) - (state.last_checked or 0)
        assert wait <= 2 * 600 + 1, f"next poll in {wait / 3600:.1f} h"
    finally:
        await engine.close()


async def test_a_broken_body_after_a_failed_fetch_is_no_recovery(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # Broken, said "failing"; one 503; then the same broken body (a 304): the feed has not
    # recovered, so no "working again" and no second "failing" either.
    feed_server.feed("/cut", TRUNCATED)
    url = feed_server.url("/cut")
    engine = await Engine.open(make_config(tmp_path, [url]))
    try:
        state = engine.rt.states[url]
        start = time.time()

        async def health(hours: float) -> list[str]:
            now = start + hours * HOUR
            events = await check_feeds(
                engine.store, [state], {url: "Cut"}, channels=[], now=now, health_after=HOUR
            )
            return [e.kind for e in events]

        await poll_all(engine.rt, progress=False)
        assert await health(2) == ["failing"]
        feed_server.handler("/cut", lambda request: web.Response(status=503))
        await poll_all(engine.rt, progress=False)
        feed_server.feed("/cut", TRUNCATED)  # the same broken body, answered 304
        await poll_all(engine.rt, progress=False)
        assert await health(3) == []
        assert state.error_streak == 0 and state.malformed is not None
        # Restarted: the store has the body's problem too.
        stored = await engine.store.db.fetch_one(
            "SELECT malformed FROM feeds WHERE url = ?", (url,)
        )
        assert stored is not None and stored[0] == state.malformed
        feed_server.feed("/cut", rss("Cut", ITEMS))  # fixed
        await poll_all(engine.rt, progress=False)
        assert await health(4) == ["recovered"]
    finally:
        await engine.close()


async def test_a_broken_body_after_failed_fetches_is_a_problem_since_the_first_failure(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """A 503, then 50 minutes later a body that may lose items: the feed has not worked
    for 70 minutes, so with health_after = 1h "failing" comes now, not an hour after the body
    (review13e; failed before)."""
    feed_server.handler("/cut", lambda request: web.Response(status=503))
    url = feed_server.url("/cut")
    engine = await Engine.open(make_config(tmp_path, [url]))
    t0 = 2_000_000_000.0
    clock = [t0]
    engine.rt.clock = lambda: clock[0]
    try:
        state = engine.rt.states[url]
        await poll_all(engine.rt, progress=False)
        clock[0] = t0 + 50 * 60
        feed_server.feed("/cut", TRUNCATED)
        await poll_all(engine.rt, progress=False)
        assert state.malformed is not None
        events = await check_feeds(
            engine.store, [state], {url: "Cut"}, channels=[], now=t0 + 70 * 60,
            health_after=HOUR,
        )  # fmt: skip
        assert [e.kind for e in events] == ["failing"]
    finally:
        await engine.close()


async def test_status_counts_a_broken_body_in_its_errors_column(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The row that names the broken XML does not say 0 errors beside it."""
    feed_server.feed("/cut", TRUNCATED)
    urls = [feed_server.url("/cut")]
    path = config_file(tmp_path, urls)
    engine = await Engine.open(make_config(tmp_path, urls))
    try:
        await poll_all(engine.rt, progress=False)
    finally:
        await engine.close()
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["status", "-c", str(path)]) == 0
    out = capsys.readouterr().out
    assert "1 configured, 1 failing" in out, out
    [row] = [line for line in out.splitlines() if "malformed XML at line 1" in line]
    assert row.split("malformed XML")[0].split()[-1] == "XML", row
