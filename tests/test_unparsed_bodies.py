"""Polls that expect a body fetch it only while fewer bodies wait for a body slot than
``[fetch] bodies_in_flight``: at a cold start of many feeds the store is the slow part, and
every poll in flight used to wait there with its fetched body, for the whole cycle."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import make_config

from monitor.engine import Engine, max_polls
from monitor.oneshot import poll_all

FEEDS = 40
ITEMS = 5


def feed(i: int) -> bytes:
    items = "".join(
        f"<item><title>Headline {i} number {j} about the harbour strike</title>"
        f"<link>https://news{i}.example/{j}</link></item>"
        for j in range(ITEMS)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {i}</title><link>https://news{i}.example/</link>{items}</channel></rss>"
    ).encode()


@pytest.mark.parametrize("bodies", [1, 2])
async def test_a_busy_store_holds_back_fetches_not_bodies(
    feed_server: FeedServer, tmp_path: Path, bodies: int
) -> None:
    urls = []
    for i in range(FEEDS):
        feed_server.feed(f"/f{i}", feed(i), validators=False)
        urls.append(feed_server.url(f"/f{i}"))
    config = make_config(tmp_path, urls)
    config = config.model_copy(
        update={
            "fetch": config.fetch.model_copy(update={"concurrency": 2, "bodies_in_flight": bodies})
        }
    )
    engine = await Engine.open(config)
    rt = engine.rt
    finished = 0
    busy = asyncio.Event()
    fetched_unfinished: list[int] = []

    def after_poll() -> None:
        nonlocal finished
        finished += 1
        if finished == FEEDS // 4:
            busy.set()

    async def hold_the_store() -> None:
        await busy.wait()
        async with rt.store.transaction():  # the store is slow: polls queue for it
            await asyncio.sleep(0.5)
            fetched_unfinished.append(len(feed_server.requests) - finished)

    try:
        holder = asyncio.create_task(hold_the_store())
        outcomes = await poll_all(rt, progress=False, after_poll=after_poll)
        await holder
    finally:
        await engine.close()
    assert [o.new_items for o in outcomes] == [ITEMS] * FEEDS  # every poll went through
    # One body in each slot (stuck at the store), as many waiting, and a poll or two between
    # its fetch and its slot; without the limit every poll in flight holds a fetched body.
    assert max_polls(config) == 8
    assert fetched_unfinished[0] <= 2 * bodies + 1, fetched_unfinished
