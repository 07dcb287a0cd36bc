"""Polls that expect a body fetch it only while fewer bodies wait for a body slot than
``[fetch] bodies_in_flight`` (and fewer such fetches run than ``[fetch] concurrency``
besides): at a cold start of many feeds the store is the slow part, and every poll in flight
used to wait there with its fetched body, for the whole cycle. Conditional GETs, which
bring no body when nothing changed, are never held back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import make_config

from monitor.config import Config
from monitor.engine import Engine, max_polls
from monitor.oneshot import poll_all

FEEDS = 60
ITEMS = 5
CONCURRENCY = 3  # at most 12 polls at once
CHANGED = 2


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


def limited(config: Config, bodies: int) -> Config:
    fetch = config.fetch.model_copy(update={"concurrency": CONCURRENCY, "bodies_in_flight": bodies})
    return config.model_copy(update={"fetch": fetch})


# (bodies_in_flight, polls done before the store is held, conditional GETs)
CASES = [
    (1, 0, False),  # a cold start: every poll in flight at once
    (2, 0, False),
    (1, FEEDS // 4, False),  # mid-cycle
    (2, FEEDS // 4, False),
    (1, 0, True),  # the second cycle: validators known, two feeds changed
]


@pytest.mark.parametrize(("bodies", "hold_after", "conditional"), CASES)
async def test_a_busy_store_holds_back_fetches_not_bodies(
    feed_server: FeedServer, tmp_path: Path, bodies: int, hold_after: int, conditional: bool
) -> None:
    urls = []
    for i in range(FEEDS):
        feed_server.feed(f"/f{i}", feed(i), validators=conditional)
        urls.append(feed_server.url(f"/f{i}"))
    config = limited(make_config(tmp_path, urls), bodies)
    engine = await Engine.open(config)
    rt = engine.rt
    if conditional:
        await poll_all(rt, progress=False)  # the first cycle, which learns the validators
        feed_server.requests.clear()
        for i in range(CHANGED):  # these bring a body again, and take the slot and the wait
            feed_server.feed(f"/f{i}", feed(FEEDS + i), validators=True)
    finished = 0
    busy = asyncio.Event()
    if not hold_after:
        busy.set()
    fetched_unfinished: list[int] = []
    finished_while_held: list[int] = []

    def after_poll() -> None:
        nonlocal finished
        finished += 1
        if finished == hold_after:
            busy.set()

    async def hold_the_store() -> None:
        await busy.wait()
        async with rt.store.transaction():  # the store is slow: polls queue for it
            await asyncio.sleep(0.5)
            fetched_unfinished.append(len(feed_server.requests) - finished)
            finished_while_held.append(finished)

    try:
        holder = asyncio.create_task(hold_the_store())
        outcomes = await poll_all(rt, progress=False, after_poll=after_poll)
        await holder
    finally:
        await engine.close()
    assert max_polls(config) == 4 * CONCURRENCY
    if conditional:  # the unchanged feeds' 304s went on while the changed ones waited
        results = [o.result for o in outcomes]
        assert results == ["new"] * CHANGED + ["not_modified"] * (FEEDS - CHANGED)
        assert finished_while_held == [FEEDS - CHANGED]
    else:
        assert [o.new_items for o in outcomes] == [ITEMS] * FEEDS  # every poll went through
        # A body in each slot (stuck at the store), as many waiting, and the fetches that
        # were under way; without the limit every poll in flight holds a fetched body.
        assert fetched_unfinished[0] <= 2 * bodies + CONCURRENCY, fetched_unfinished
