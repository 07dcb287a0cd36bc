"""Cluster, a clean stop: a poll still running after grace_period is cancelled. If its request
had already reached the feed's host, the feed stays off the other nodes' plate for its usual
gap: before, it was handed back due at once and another node polled the host again a few
hundredths of a second later, two requests within the feed's interval. A poll cancelled while
it still waited for its fetch slot sent nothing, and its feed stays due at once.

The real LeasedScheduler, Node, Fetcher, PostgreSQL and a local feed server."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest
from aiohttp import web
from feedserver import FeedServer, rss

from monitor.cluster.dispatcher import LeasedScheduler
from monitor.cluster.node import ClusterTiming, Node
from monitor.fetch import Fetcher, FetchLimits
from monitor.store import leases as lease_store

GAP = 1.0  # the feed's interval
# The request's own way from its fetch slot to the host, which the test sees only after it
TRIP = 0.25


@pytest.mark.parametrize("slot_free", [True, False], ids=["request-sent", "waiting-for-slot"])
async def test_a_poll_cancelled_by_a_stop(
    slot_free: bool, pool: asyncpg.Pool, feed_server: FeedServer
) -> None:
    arrived: list[float] = []
    second = asyncio.Event()

    async def feed(request: web.Request) -> web.Response:
        arrived.append(time.time())
        if len(arrived) > 1:
            second.set()
            await asyncio.sleep(30)  # the body drips in, past the grace period
        return web.Response(body=rss("Feed", []), content_type="application/rss+xml")

    async def hold(request: web.Request) -> web.Response:
        await asyncio.sleep(30)  # holds the host's only fetch slot
        return web.Response(text="")

    feed_server.handler("/feed.xml", feed)
    feed_server.handler("/hold", hold)
    url = feed_server.url("/feed.xml")
    fetcher = Fetcher(FetchLimits(per_host=1, timeout=60), "test")
    waiting = asyncio.Event()
    polls: list[asyncio.Task[object]] = []

    async def poll(url: str) -> float:
        polls.append(asyncio.current_task())  # type: ignore[arg-type]
        if polls[1:]:
            waiting.set()
        await fetcher.fetch(url)
        return time.time() + GAP

    node = Node(pool, ClusterTiming(lease=0.5, heartbeat=3600.0))
    await node.start()
    scheduler = LeasedScheduler(poll, node, max_polls=1)
    holder: asyncio.Task[object] | None = None
    try:
        scheduler.schedule_feed(url, time.time())
        scheduler.start()
        async with pool.acquire() as conn:
            for _ in range(250):  # the first poll is handed back, due in GAP
                if arrived and not await lease_store.held_by(conn, node.id):
                    break
                await asyncio.sleep(0.02)
        if not slot_free:
            holder = asyncio.create_task(fetcher.fetch(feed_server.url("/hold")))
            await asyncio.sleep(0.05)
        scheduler.bring_forward(url, time.time())  # polled again now (a shorter interval)
        await asyncio.wait_for(second.wait() if slot_free else waiting.wait(), 10)
        await asyncio.sleep(0.05)
        scheduler.shutdown()  # a clean stop: no new work
        polls[-1].cancel()  # grace_period is over: the daemon cancels the polls still running
        await asyncio.gather(polls[-1], return_exceptions=True)
        await scheduler.flush()
        await node.stop()
        async with pool.acquire() as conn:
            due_in = await lease_store.next_due(conn)
        assert due_in is not None
        if slot_free:
            gap = time.time() + due_in - arrived[-1]
            # f4a8cca: due 0.06 s after the request reached the host
            assert gap >= GAP - TRIP, f"another node polls it {gap:.2f}s after its request"
        else:
            assert len(arrived) == 1 and due_in < GAP / 2, "a poll that sent nothing held it"
    finally:
        scheduler.shutdown()
        if holder is not None:
            holder.cancel()
            await asyncio.gather(holder, return_exceptions=True)
        await fetcher.close()
