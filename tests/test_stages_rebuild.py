"""The story window is rebuilt from the store when it may be out of date; the log says why:
a warning after a failed poll (something went wrong), a plain line when a node only took
over assigning (routine, nothing for the operator to look into)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from feedserver import FeedServer, rss
from helpers import make_config

from monitor.engine import Engine
from monitor.pipeline import refresh_feed

CASES = [
    pytest.param(True, logging.WARNING, "after a failed poll", id="failed-poll"),
    pytest.param(False, logging.INFO, "rebuilt the story window:", id="routine"),
]


@pytest.mark.parametrize(("failed", "level", "said"), CASES)
async def test_a_rebuild_is_logged_as_what_caused_it(
    feed_server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture,
    failed: bool, level: int, said: str,
) -> None:  # fmt: skip
    items = [(f"Summit talks resume in Geneva, day {i}", f"http://example.org/{i}") for i in range(3)]
    feed_server.feed("/feed", rss("Wire", items[:2]))
    config = make_config(tmp_path, [feed_server.url("/feed")])
    engine = await Engine.open(config)
    try:
        await refresh_feed(engine.rt, config.feeds[0])
        engine.rt.stages.invalidate(failed=failed)
        feed_server.feed("/feed", rss("Wire", items))
        caplog.clear()
        caplog.set_level(logging.INFO, logger="monitor")
        outcome = await refresh_feed(engine.rt, config.feeds[0])
    finally:
        await engine.close()
    assert outcome.new_items == 1
    rebuilt = [r for r in caplog.records if "rebuilt the story window" in r.getMessage()]
    assert [(r.levelno, said in r.getMessage()) for r in rebuilt] == [(level, True)]
