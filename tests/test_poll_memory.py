"""A poll waiting for its turn at the store holds its parsed items, not its fetched body: at a
cold start of many feeds, polls queue there, and their bodies were much of the peak memory."""

from __future__ import annotations

import asyncio
import tracemalloc
from pathlib import Path

from feedserver import FeedServer
from helpers import make_config

from monitor.engine import Engine, max_polls
from monitor.oneshot import poll_all

FEEDS = 30
PADDING = 400_000  # bytes of XML comment per body: parsed away, so only the body holds them


def padded_feed(i: int) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {i}</title><link>https://news{i}.example/</link>"
        f"<!-- {'x' * PADDING} -->"
        f"<item><title>Headline {i}</title><link>https://news{i}.example/a</link></item>"
        "</channel></rss>"
    ).encode()


async def test_polls_queued_at_the_store_do_not_hold_their_bodies(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    urls = []
    for i in range(FEEDS):
        feed_server.feed(f"/f{i}", padded_feed(i))
        urls.append(feed_server.url(f"/f{i}"))
    config = make_config(tmp_path, urls)
    # Every poll past its parse here: the ones beyond [fetch] bodies_in_flight would wait
    # for a slot with their body unparsed (tests/test_bodies_in_flight.py).
    config = config.model_copy(
        update={"fetch": config.fetch.model_copy(update={"bodies_in_flight": FEEDS})}
    )
    engine = await Engine.open(config)
    rt = engine.rt
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        async with rt.store.transaction():  # the store is busy: every poll queues for it
            polls = asyncio.create_task(poll_all(rt, progress=False))
            async with asyncio.timeout(60):
                # every body parsed: a poll records its hash before it queues for the store
                while not all(rt.states[url].body_hash for url in urls):  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            held = tracemalloc.get_traced_memory()[0] - before
        outcomes = await polls
    finally:
        tracemalloc.stop()
        await engine.close()
    assert [o.new_items for o in outcomes] == [1] * FEEDS
    # 30 bodies are 12 MB; what the queued polls hold is their few parsed items.
    assert held < FEEDS * PADDING / 4, f"{held / 1e6:.1f} MB held by {FEEDS} queued polls"


async def test_a_pass_of_many_feeds_keeps_a_task_per_poll_in_flight_not_per_feed(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feeds = 120
    urls = []
    for i in range(feeds):
        feed_server.feed(f"/g{i}", padded_feed(i).replace(b"x" * PADDING, b""))
        urls.append(feed_server.url(f"/g{i}"))
    config = make_config(tmp_path, urls)
    config = config.model_copy(update={"fetch": config.fetch.model_copy(update={"concurrency": 2})})
    engine = await Engine.open(config)
    tasks: list[int] = []
    try:
        outcomes = await poll_all(
            engine.rt, progress=False, after_poll=lambda: tasks.append(len(asyncio.all_tasks()))
        )
    finally:
        await engine.close()
    # Every feed polled, its outcome in the config's order (each feed's one new item).
    assert [o.new_items for o in outcomes] == [1] * feeds
    assert [o.url for o in outcomes] == urls
    # A task for each feed waited from the start of the pass to its end: 120 + the daemon's
    # own, where the 8 polls in flight (4 x concurrency) and the daemon's are all it needs.
    assert max(tasks) < max_polls(config) + 30, f"{max(tasks)} tasks for {feeds} feeds"
