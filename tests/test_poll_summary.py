"""``monitor run`` says in its log when every feed has been polled once since start, and
then once an hour what its polls did: a cold start of many feeds ends with a word that it is
over, and a daemon with no news is not silent."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from aiohttp import web
from feedserver import FeedServer, rss
from helpers import make_config

from monitor.daemon import Daemon
from monitor.pollsummary import PollSummary


async def test_the_daemon_says_when_every_feed_was_polled(
    feed_server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for i in range(3):
        feed_server.feed(
            f"/f{i}", rss(f"Wire {i}", [(f"Summit talks, day {i}", f"http://e.org/{i}")])
        )
    feed_server.handler("/gone", lambda r: web.Response(status=404))
    urls = [feed_server.url(f"/f{i}") for i in range(3)] + [feed_server.url("/gone")]
    caplog.set_level(logging.INFO, logger="monitor")
    daemon = Daemon(make_config(tmp_path, urls))
    task = asyncio.create_task(daemon.run())
    try:
        for _ in range(600):  # up to 30 s on a loaded machine
            if [r for r in caplog.records if "every feed polled" in r.getMessage()]:
                break
            await asyncio.sleep(0.05)
    finally:
        daemon.stop()
        await task
    lines = [r.getMessage() for r in caplog.records if "every feed polled" in r.getMessage()]
    assert len(lines) == 1
    assert "3 feeds with new items (3 new items), 0 unchanged, 1 feed failing" in lines[0]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# (what happens, the lines logged): polls on a clock an hour long, feeds a and b.
CASES = [
    (
        "first pass, then an hour",
        [("a", "new", 2, 10), ("b", "error", 0, 20), ("a", "not_modified", 0, 3600),
         ("b", "not_modified", 0, 3700)],
        ["every feed polled once since start, in 20s: 1 feed with new items (2 new items),"
         " 0 unchanged, 1 feed failing (monitor status lists them)",
         "in the last hour: 3 polls, 2 new items from 1 feed; 1 feed failing (monitor status"
         " lists them)"],
    ),
    (
        "a feed that recovers is not failing",
        [("a", "error", 0, 10), ("a", "new", 1, 20), ("b", "unchanged", 0, 30)],
        ["every feed polled once since start, in 30s: 1 feed with new items (1 new item),"
         " 1 unchanged, no feed failing"],
    ),
    ("no first pass until b is polled", [("a", "new", 5, 10), ("a", "new", 5, 20)], []),
]  # fmt: skip


@pytest.mark.parametrize(("case", "polls", "said"), CASES, ids=[c[0] for c in CASES])
def test_the_lines_say_what_the_polls_did(
    case: str, polls: list[tuple[str, str, int, float]], said: list[str],
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    clock = Clock()
    summary = PollSummary(["a", "b"], clock=clock)
    caplog.set_level(logging.INFO, logger="monitor")
    for url, result, new, at in polls:
        clock.now = 1000.0 + at
        summary.polled(url, result, new)
    assert [r.getMessage() for r in caplog.records] == said, case


def test_a_feed_removed_before_its_first_poll_is_not_waited_for(
    caplog: pytest.LogCaptureFixture,
) -> None:
    summary = PollSummary(["a", "b"], clock=Clock())
    caplog.set_level(logging.INFO, logger="monitor")
    summary.polled("a", "new", 1)
    assert caplog.records == []
    summary.forget(["b"])
    assert ["every feed polled" in r.getMessage() for r in caplog.records] == [True]
