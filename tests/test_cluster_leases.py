"""Feeds leased, not owned: several nodes over one real PostgreSQL take due feeds without
overlap, a dead node's feeds go to the others once its lease runs out, a live node's do not."""

from __future__ import annotations

import asyncio
import time

import asyncpg
import pytest

from monitor.cluster.node import ClusterTiming, Node
from monitor.engine import per_host_share
from monitor.store import cluster as cluster_store
from monitor.store import leases as lease_store

FEEDS = [f"http://127.0.0.1:1/feed/{i}.xml" for i in range(20)]


async def _node(pool: asyncpg.Pool, lease: float = 30.0) -> Node:
    node = Node(pool, ClusterTiming(lease=lease, heartbeat=3600.0))
    await node.start()
    return node


async def test_two_nodes_take_disjoint_batches_of_due_feeds(pool: asyncpg.Pool) -> None:
    a, b = await _node(pool), await _node(pool)
    async with pool.acquire() as conn:
        await lease_store.sync(conn, [(url, 0.0) for url in FEEDS])
        got_a = await lease_store.take_due(conn, a.id, 12, 30.0)
        got_b = await lease_store.take_due(conn, b.id, 12, 30.0)
        again = await lease_store.take_due(conn, b.id, 12, 30.0)
    urls_a = {x.feed_url for x in got_a}
    urls_b = {x.feed_url for x in got_b}
    assert (len(urls_a), len(urls_b), urls_a & urls_b, again) == (12, 8, set(), [])
    assert urls_a | urls_b == set(FEEDS)


async def test_concurrent_takers_never_share_a_feed(pool: asyncpg.Pool) -> None:
    nodes = [await _node(pool) for _ in range(3)]
    async with pool.acquire() as conn:
        await lease_store.sync(conn, [(url, 0.0) for url in FEEDS])

    async def take(node: Node) -> list[str]:
        taken: list[str] = []
        for _ in range(10):
            async with pool.acquire() as conn:
                taken += [x.feed_url for x in await lease_store.take_due(conn, node.id, 2, 30.0)]
        return taken

    results = await asyncio.gather(*(take(n) for n in nodes))
    everything = [url for r in results for url in r]
    assert sorted(everything) == sorted(FEEDS)  # each once: none twice, none left


@pytest.mark.parametrize(
    ("case", "beats", "handed_back_by_first"),
    [
        ("the first node died: its feeds go to the second", False, 0),
        ("the first node beats: its feeds stay with it", True, 5),
    ],
)
async def test_a_lease_runs_out_only_when_its_node_stops_beating(
    pool: asyncpg.Pool, case: str, beats: bool, handed_back_by_first: int
) -> None:
    lease = 1.0
    first, second = await _node(pool, lease), await _node(pool, lease)
    async with pool.acquire() as conn:
        await lease_store.sync(conn, [(url, 0.0) for url in FEEDS[:5]])
        held = await lease_store.take_due(conn, first.id, 10, lease)
    assert len(held) == 5
    deadline = time.monotonic() + 2.5 * lease
    while time.monotonic() < deadline:
        if beats:
            await first.beat()
        await asyncio.sleep(0.2)
    async with pool.acquire() as conn:
        taken = await lease_store.take_due(conn, second.id, 10, lease)
        back = await lease_store.hand_back(conn, first.id, [(x.feed_url, 60.0, 60.0) for x in held])
    assert len(taken) == 5 - handed_back_by_first, case
    assert len(back) == handed_back_by_first, case


async def test_a_feed_handed_back_is_not_due_until_its_next_time(pool: asyncpg.Pool) -> None:
    node = await _node(pool)
    async with pool.acquire() as conn:
        await lease_store.sync(conn, [(FEEDS[0], 0.0), (FEEDS[1], 0.0)])
        taken = await lease_store.take_due(conn, node.id, 10, 30.0)
        await lease_store.hand_back(
            conn, node.id, [(FEEDS[0], 0.6, 0.6), (FEEDS[1], 3600.0, 3600.0)]
        )
        assert await lease_store.take_due(conn, node.id, 10, 30.0) == []
        await asyncio.sleep(0.8)
        again = await lease_store.take_due(conn, node.id, 10, 30.0)
    assert (len(taken), [x.feed_url for x in again]) == (2, [FEEDS[0]])


async def test_a_clean_stop_frees_the_nodes_feeds_at_once(pool: asyncpg.Pool) -> None:
    first, second = await _node(pool), await _node(pool)
    async with pool.acquire() as conn:
        await lease_store.sync(conn, [(url, 0.0) for url in FEEDS[:4]])
        await lease_store.take_due(conn, first.id, 10, 30.0)
    await first.stop()
    async with pool.acquire() as conn:
        taken = await lease_store.take_due(conn, second.id, 10, 30.0)
        rows = await cluster_store.nodes(conn, 30.0)
    assert len(taken) == 4
    assert [(r.id, r.alive) for r in rows] == [(second.id, True), (first.id, False)]


async def test_sync_keeps_known_feeds_times_and_drops_removed_ones(pool: asyncpg.Pool) -> None:
    node = await _node(pool)
    async with pool.acquire() as conn:
        await lease_store.sync(conn, [(FEEDS[0], 3600.0), (FEEDS[1], 3600.0)])
        # A second node starting with the same config must not make them due again.
        await lease_store.sync(conn, [(FEEDS[0], 0.0), (FEEDS[2], 0.0)])
        taken = await lease_store.take_due(conn, node.id, 10, 30.0)
        left = await conn.fetchval("SELECT count(*) FROM feed_leases")
    assert ([x.feed_url for x in taken], left) == ([FEEDS[2]], 2)


@pytest.mark.parametrize(
    ("limit", "live", "share"),
    [(4, 1, 4), (4, 2, 2), (4, 3, 2), (4, 8, 1), (1, 3, 1), (10, 3, 4)],
)
def test_per_host_limit_is_shared_among_live_nodes(limit: int, live: int, share: int) -> None:
    assert per_host_share(limit, live) == share


async def test_nodes_started_at_once_create_the_schema_once(pg_url: str) -> None:
    conns = [await asyncpg.connect(pg_url) for _ in range(3)]
    try:
        await asyncio.gather(*(cluster_store.ensure_schema(c) for c in conns))
        tables = await conns[0].fetch(
            "SELECT tablename FROM pg_tables WHERE tablename IN"
            " ('cluster_nodes', 'feed_leases', 'cluster_roles') ORDER BY 1"
        )
    finally:
        for c in conns:
            await c.close()
    assert [t["tablename"] for t in tables] == ["cluster_nodes", "cluster_roles", "feed_leases"]
