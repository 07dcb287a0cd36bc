"""A feed whose XML is broken (a mismatched tag, a truncated body) keeps the items feedparser
recovers, but its poll is a problem of the feed: one log line names the parse error, the
feed's state (``monitor status``) shows it, and the feed-health alert comes after
``health_after`` as for a feed that fails. A feed that is fine stays fine."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from feedserver import FeedServer, rss
from helpers import make_config

from monitor.engine import Engine
from monitor.feedhealth import transitions
from monitor.oneshot import poll_all
from monitor.store import report

ITEMS = [("Putin one", "http://x.example/1"), ("Putin two", "http://x.example/2")]
# Cut short inside a third item: feedparser still reads what comes before the cut.
TRUNCATED = rss("Cut", [*ITEMS, ("Putin three", "http://x.example/3")])[:-60]
HOUR = 3600.0


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
        assert cut.error_streak == 1 and fine.error_streak == 0
        assert (cut.last_error or "").startswith("parse: malformed XML at line 1: ")
        lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(lines) == 1 and lines[0].startswith("parse: malformed XML at line 1:"), lines
        assert urls[0] in caplog.records[-1].__dict__.get("feed", "")
        # The same body again (a 304) is still the feed's problem, not a recovery.
        await poll_all(engine.rt, progress=False)
        assert cut.error_streak == 2 and fine.error_streak == 0
        since = cut.failing_since or 0.0
        names = {u: u for u in urls}
        later = transitions([cut, fine], names, now=since + 2 * HOUR, health_after=HOUR, rhythms={})
        assert [(e.url, e.kind) for e in later] == [(urls[0], "failing")]
        # Fixed: the next poll is a success again.
        feed_server.feed("/cut", rss("Cut", ITEMS))
        await poll_all(engine.rt, progress=False)
        assert cut.error_streak == 0 and cut.failing_since is None
    finally:
        await engine.close()
