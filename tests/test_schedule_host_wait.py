"""A poll whose request waits for its host's fetch slot: the feed's next request comes an
interval after this one reached the host, not an interval after the poll began. Three feeds
on one host with one slot ([fetch] per_host = 1): the first one's answer takes half a
minute of the mocked clock, and the other two requests leave only then."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path

import pytest
from aiohttp import web
from feedserver import FeedServer, rss

from monitor import config as config_module
from monitor.engine import Engine
from monitor.pipeline import refresh_feed

NOW = 1_764_936_000.0  # the mocked clock
INTERVAL = 60.0
SLOW = 30.0  # seconds of the mocked clock the slow feed's first answer takes
FEEDS = ("/slow", "/b", "/c")


@pytest.mark.parametrize(
    ("what", "status"),
    [("a new body", 200), ("a failure (backs off from the interval)", 503)],
)
async def test_the_next_request_comes_an_interval_after_a_request_that_waited(
    what: str, status: int, feed_server: FeedServer, tmp_path: Path
) -> None:
    clock = NOW
    requests: dict[str, list[float]] = defaultdict(list)
    asked, answer = asyncio.Event(), asyncio.Event()

    async def serve(request: web.Request) -> web.Response:
        path = request.path
        requests[path].append(clock)
        if path == "/slow":
            asked.set()
            await answer.wait()
        if status != 200:
            return web.Response(status=status)
        body = rss(
            f"Feed {path}", [(f"News {clock:.0f} on {path}", f"http://e.org{path}/{clock:.0f}")]
        )
        return web.Response(body=body, content_type="application/rss+xml")

    config_path = tmp_path / "config.toml"
    config_path.write_text(
        f'[monitor]\ndatabase = "{tmp_path / "monitor.db"}"\n'
        f'interval = "{INTERVAL:.0f}s"\nmin_interval = "1s"\njitter = 0.0\n'
        "[fetch]\nper_host = 1\n"
        + "".join(f'[[feeds]]\nurl = "{feed_server.url(p)}"\n' for p in FEEDS)
    )
    for path in FEEDS:
        feed_server.handler(path, serve)
    config = config_module.load(config_path)
    engine = await Engine.open(config, clock=lambda: clock)
    try:
        slow, *others = config.feeds
        polls = [asyncio.create_task(refresh_feed(engine.rt, slow))]
        await asyncio.wait_for(asked.wait(), 10)  # the slow feed holds the host's one slot
        polls += [asyncio.create_task(refresh_feed(engine.rt, feed)) for feed in others]
        await asyncio.sleep(0)  # both polls began (at NOW) and wait for the slot
        clock += SLOW
        answer.set()
        first = await asyncio.gather(*polls)
        assert [requests[p] for p in FEEDS] == [[NOW], [NOW + SLOW], [NOW + SLOW]], what
        # Each feed polled again when it is due, the soonest first.
        for outcome, feed in sorted(
            zip(first, config.feeds, strict=True), key=lambda p: p[0].next_check
        ):
            clock = max(clock, outcome.next_check)
            await refresh_feed(engine.rt, feed)
    finally:
        await engine.close()
    gaps = {path: ts[1] - ts[0] for path, ts in requests.items() if len(ts) == 2}
    assert len(gaps) == len(FEEDS), what
    assert min(gaps.values()) >= INTERVAL, f"{what}: polled again after {gaps}"
