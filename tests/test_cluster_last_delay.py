"""Cluster: a feed whose node dies with its next request in flight waits a whole interval
after that request, however long the poll before took after its answer (its turn at the store,
parsing). The gap a dead node's feed keeps (``take_due``'s and ``heartbeat``'s ``last_delay +
lease``) was the delay handed back at the poll's end, the interval less that time: another
node polled the feed again within its interval. Now it counts from the poll's start."""

from __future__ import annotations

import asyncio
import time

import asyncpg

from monitor.cluster.dispatcher import LeasedScheduler
from monitor.cluster.node import ClusterTiming, Node
from monitor.store import leases as lease_store

URL = "http://127.0.0.1:1/feed.xml"
LEASE = 0.5
GAP = 2.0  # the feed's interval
AFTER_ANSWER = 1.0  # the first poll's time after its answer (its turn at the store)


async def test_a_dead_nodes_feed_waits_its_interval_after_its_request(pool: asyncpg.Pool) -> None:
    node = Node(pool, ClusterTiming(lease=LEASE, heartbeat=3600.0))  # beats when told here
    await node.start()
    polled = asyncio.Event()

    async def poll(url: str) -> float:
        answered = time.time()  # the feed's host answered
        await asyncio.sleep(AFTER_ANSWER)  # parse, wait for the store
        polled.set()
        return answered + GAP  # as pipeline.refresh_feed: an interval after the answer

    scheduler = LeasedScheduler(poll, node, max_polls=1)
    scheduler.schedule_feed(URL, time.time())
    scheduler.start()
    try:
        await asyncio.wait_for(polled.wait(), 10)
        async with pool.acquire() as conn:
            for _ in range(200):  # handed back by the dispatcher's next round
                row = await conn.fetchrow(
                    "SELECT leased_by, last_delay FROM feed_leases WHERE feed_url = $1", URL
                )
                if row["leased_by"] is None:
                    break
                await asyncio.sleep(0.02)
    finally:
        scheduler.shutdown()
    async with pool.acquire() as conn:
        await lease_store.bring_forward(conn, URL, 0.0)  # its next poll, taken now
        assert len(await lease_store.take_due(conn, node.id, 1, LEASE)) == 1
    await node.beat()
    # Its request leaves now; the node dies before it hands the feed back.
    async with pool.acquire() as conn:
        due_in = await lease_store.next_due(conn)
    assert due_in is not None and due_in >= GAP, (
        f"another node polls it {due_in:.2f}s after the request, interval {GAP}s"
    )
