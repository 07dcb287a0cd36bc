"""A node's request may leave long after it leased the feed (it waits for its host's fetch
slot, [fetch] per_host), past the lease that the node's beats keep extending. If the node
dies then, the other nodes must not poll the feed again before its usual gap after that
request: the feed's host would see two requests within an interval."""

from __future__ import annotations

import asyncio

import asyncpg

from monitor.cluster.node import ClusterTiming, Node
from monitor.store import leases as lease_store

URL = "http://127.0.0.1:1/feed.xml"
LEASE = 0.5
GAP = 1.0  # what the feed's last poll asked for


async def test_a_request_that_left_after_the_lease_is_not_repeated_within_its_gap(
    pool: asyncpg.Pool,
) -> None:
    node = Node(pool, ClusterTiming(lease=LEASE, heartbeat=3600.0))  # beats when told here
    await node.start()
    async with pool.acquire() as conn:
        await lease_store.sync(conn, [(URL, 0.0)])
        await lease_store.take_due(conn, node.id, 1, LEASE)
        await lease_store.hand_back(conn, node.id, [(URL, GAP, GAP)])
        await lease_store.bring_forward(conn, URL, 0.0)  # due now, its last gap kept
        assert len(await lease_store.take_due(conn, node.id, 1, LEASE)) == 1
    for _ in range(3):  # its request waits for a fetch slot longer than the lease
        await asyncio.sleep(LEASE / 2)
        await node.beat()
    async with pool.acquire() as conn:
        # The request leaves now, and the node dies before it can hand the feed back.
        due_in = await lease_store.next_due(conn)
    assert due_in is not None and due_in >= GAP, f"due again {due_in:.2f}s after the request"
