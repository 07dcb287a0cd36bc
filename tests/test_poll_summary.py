"""``monitor run`` says in its log when every feed has been polled once since start, and
then once a poll interval what its polls did: a cold start of many feeds ends with a word
that it is over, a daemon with no news is not silent, and a daemon of thousands of feeds does
not log a line a poll."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from pathlib import Path

import pytest
from aiohttp import web
from feedserver import FeedServer, rss
from helpers import make_config

from monitor import pollsummary
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
    assert (
        "3 feeds with new items (3 new items, 0 alerts queued), 0 unchanged, 1 feed failing"
        in (lines[0])
    )


FEEDS = 40
WORDS = ("harbour", "budget", "comet", "orchard", "tariff", "glacier", "senate", "vaccine")
# Three items (of 120) a rule matches, unlike each other: three stories, three alerts.
MATCHED = {
    (0, 0): "Zorblat shares jump after the merger vote",
    (7, 1): "Floods reach the farms of the Zorblat valley",
    (21, 2): "Zorblat election results delayed by a recount",
}
RULE = """
[[rules]]
name = "zorblat"
query = "Zorblat"
alert_on = "story"
channels = ["screen"]

[channels.screen]
type = "console"
"""


def _items(feed: int, count: int) -> list[tuple[str, str]]:
    titles = [
        MATCHED.get((feed, n), f"{WORDS[(feed + n) % 8]} report {feed} of day {n}, {WORDS[n]}")
        for n in range(count)
    ]
    return [(t, f"http://e.org/{feed}/{n}") for n, t in enumerate(titles)][::-1]


SAID = re.compile(
    r"in the last \w+: ([\d,]+) polls?, ([\d,]+) new items? .*, ([\d,]+) alerts? queued"
)


async def test_many_feeds_log_a_few_lines_an_interval_that_count_the_new_items(
    feed_server: FeedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # An interval of a second stands in for the operator's 5 minutes (a line an interval, at
    # least a minute apart in a real run).
    monkeypatch.setattr(pollsummary, "SUMMARY_MIN", 1.0, raising=False)
    for feed in range(FEEDS):
        feed_server.feed(f"/f{feed}", rss(f"Wire {feed}", _items(feed, 2)))
    urls = [feed_server.url(f"/f{feed}") for feed in range(FEEDS)]
    caplog.set_level(logging.INFO, logger="monitor")
    daemon = Daemon(make_config(tmp_path, urls, RULE, interval="1s"))
    task = asyncio.create_task(daemon.run())
    started = time.monotonic()
    counted = [0, 0, 0]  # polls, new items, alerts queued: by the interval's lines

    def count() -> list[re.Match[str]]:
        said = [SAID.search(r.getMessage()) for r in caplog.records]
        return [m for m in said if m is not None]

    try:
        for _ in range(600):  # up to 30 s on a loaded machine
            if any("every feed polled" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.05)
        for feed in range(FEEDS):  # one more item each: 40 polls with a new item
            feed_server.feed(f"/f{feed}", rss(f"Wire {feed}", _items(feed, 3)))
        for _ in range(600):
            lines = count()
            counted = [sum(int(m[n].replace(",", "")) for m in lines) for n in (1, 2, 3)]
            if counted[1] >= 3 * FEEDS:
                break
            await asyncio.sleep(0.05)
    finally:
        daemon.stop()
        await task
    took = time.monotonic() - started
    assert counted[1:] == [3 * FEEDS, len(MATCHED)], counted  # every new item, every alert
    assert counted[0] >= 2 * FEEDS
    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    delivered = [line for line in info if "delivered alert" in line]  # a line an alert
    summaries = len(count())
    # The interval's line at most once a second (and one more at its edge), a line an alert,
    # and a few lines of the run itself (the schema, the windows rebuilt, started, every feed
    # polled, stopping, stopped): not a line for each of the 120 polls that brought items.
    assert len(delivered) == len(MATCHED), info
    assert summaries <= took + 1, info
    assert len(info) - summaries - len(delivered) <= 8, info


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
        ["every feed polled once since start, in 20s: 1 feed with new items (2 new items, 0"
         " alerts queued), 0 unchanged, 1 feed failing (monitor status lists them)",
         "in the last hour: 3 polls, 2 new items from 1 feed, 0 alerts queued; slowest poll 0.0s"
         " (a); 1 feed failing (monitor status lists them)"],
    ),
    (
        "a feed that recovers is not failing",
        [("a", "error", 0, 10), ("a", "new", 1, 20), ("b", "unchanged", 0, 30)],
        ["every feed polled once since start, in 30s: 1 feed with new items (1 new item, 0"
         " alerts queued), 1 unchanged, no feed failing"],
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


def test_what_a_hub_pushed_is_counted_with_the_polls(caplog: pytest.LogCaptureFixture) -> None:
    # A pushed feed is polled once an hour at most: its new items come without a poll, and
    # their own line is DEBUG like a poll's.
    clock = Clock()
    summary = PollSummary([], clock=clock, every=300.0)  # no first pass to wait for
    caplog.set_level(logging.INFO, logger="monitor")
    summary.polled("a", "not_modified", 0, took=0.4, name="Wire")
    summary.pushed("a", 3, alerts=1)
    summary.pushed("a", 2, old=2)
    clock.now += 300
    summary.polled("a", "not_modified", 0, took=1.5, name="Wire")
    # one feed, polled twice and pushed twice (review18c: "from 2 feeds", pushes counted)
    assert [r.getMessage() for r in caplog.records] == [
        "in the last 5 minutes: 2 polls, 2 pushes, 5 new items from 1 feed, 2 of them older"
        " than max_age, 1 alert queued; slowest poll 1.5s (Wire); no feed failing"
    ]


def test_the_line_after_a_reload_that_shortens_the_interval_names_its_span(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # review18c: the line said "in the last 5 minutes" for the 50 minutes since the last.
    clock = Clock()
    summary = PollSummary([], clock=clock, every=3600.0)
    caplog.set_level(logging.INFO, logger="monitor")
    summary.polled("a", "new", 2, took=0.2, name="Wire")
    clock.now += 50 * 60
    summary.every = 300.0  # a reload: interval 1h -> 5m
    summary.polled("a", "new", 1, took=0.2, name="Wire")
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith("in the last 50 minutes: 2 polls, 3 new items from 1 feed"), line
