"""``[fetch] bodies_in_flight``: at most that many polls hold parsed items at once. Polls
past it wait with their body unparsed: at a cold start the store takes one poll at a time,
and parsed items queued behind it were the allocator's fragmentation at the peak RSS."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import make_config

from monitor.config import Config, FeedConfig
from monitor.engine import Engine
from monitor.models import ParsedFeed
from monitor.oneshot import poll_all

FEEDS = 24


def feed(i: int) -> bytes:
    items = "".join(
        f"<item><title>Headline {i} number {j} about the harbour strike</title>"
        f"<link>https://news{i}.example/{j}</link><description>Summary {i} {j}</description></item>"
        for j in range(20)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {i}</title><link>https://news{i}.example/</link>{items}</channel></rss>"
    ).encode()


def with_bodies(config: Config, bodies: int) -> Config:
    return config.model_copy(
        update={"fetch": config.fetch.model_copy(update={"bodies_in_flight": bodies})}
    )


@pytest.mark.parametrize(("bodies", "reloaded"), [(1, None), (3, None), (8, 2)])
async def test_no_more_polls_hold_parsed_items_than_bodies_in_flight(
    feed_server: FeedServer, tmp_path: Path, bodies: int, reloaded: int | None
) -> None:
    urls = []
    for i in range(FEEDS):
        feed_server.feed(f"/f{i}", feed(i))
        urls.append(feed_server.url(f"/f{i}"))
    config = with_bodies(make_config(tmp_path, urls), bodies)
    engine = await Engine.open(config)
    if reloaded is not None:  # a reload's new limit holds from the next poll
        await engine.reload(with_bodies(config, reloaded))
    limit = reloaded if reloaded is not None else bodies
    parsed = finished = most = 0

    def on_parsed(_f: FeedConfig, _h: Mapping[str, str], _p: ParsedFeed, _u: str) -> None:
        nonlocal parsed, most
        parsed += 1
        most = max(most, parsed - finished)  # parsed, and not yet stored and done

    def after_poll() -> None:
        nonlocal finished
        finished += 1

    engine.rt.on_parsed = on_parsed
    try:
        outcomes = await poll_all(engine.rt, progress=False, after_poll=after_poll)
    finally:
        await engine.close()
    assert [o.new_items for o in outcomes] == [20] * FEEDS  # every poll went through
    assert most <= limit, f"{most} polls held parsed items at once"
