"""Bodies are parsed off the event loop, in a thread of their own (two: big bodies apart):
what a parse gives or raises comes back to the poll that asked, and closing the engine lets
the threads end."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from conftest import shared
from feedserver import FeedServer
from helpers import make_config

from monitor.engine import Engine
from monitor.oneshot import poll_all
from monitor.parsethread import BIG_BODY

NOT_A_FEED = b"<html><body><p>Our new website is here</p></body></html>"


def _parse_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("monitor-parse")]


@pytest.mark.parametrize("big", [False, True])
async def test_each_poll_gets_its_own_parse_and_a_broken_body_only_its_own_error(
    feed_server: FeedServer, tmp_path: Path, big: bool
) -> None:
    names = ["guardian.rss", "heise.atom", "uolNoticias.rss", "reddit.rss"]
    bodies = {f"/{n}": shared("real-feeds", n).read_bytes() for n in names}
    for path, body in bodies.items():
        feed_server.feed(path, body)
    # Padding after the feed (a comment) makes a body the big-body thread takes.
    padding = b"<!--" + b" " * BIG_BODY + b"-->" if big else b""
    feed_server.feed("/broken", NOT_A_FEED + padding, content_type="text/html")
    config = make_config(tmp_path, [feed_server.url(p) for p in [*bodies, "/broken"]])
    engine = await Engine.open(config)
    try:
        outcomes = {o.url.rsplit("/", 1)[1]: o for o in await poll_all(engine.rt)}
    finally:
        await engine.close()
    for name in names:
        assert outcomes[name].result == "new" and outcomes[name].error is None
    assert len({outcomes[n].new_items for n in names}) > 1  # each its own feed's items
    broken = outcomes["broken"]
    assert broken.result == "error" and broken.error and "feed" in broken.error


async def test_closing_the_engine_lets_the_parse_threads_end(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.feed("/feed", shared("real-feeds", "guardian.rss").read_bytes())
    config = make_config(tmp_path, [feed_server.url("/feed")])
    before = set(_parse_threads())
    engine = await Engine.open(config)
    try:
        (outcome,) = await poll_all(engine.rt)
        assert outcome.result == "new"
        assert set(_parse_threads()) - before  # the body was parsed in a parse thread
    finally:
        await engine.close()
    for _ in range(200):  # ends as soon as it reads the stop; 10 s for a loaded machine
        if not set(_parse_threads()) - before:
            break
        await asyncio.sleep(0.05)
    assert not set(_parse_threads()) - before
