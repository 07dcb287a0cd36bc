"""`monitor status`'s nodes: host, pid, last heartbeat, feeds leased, role, alive or not."""

from __future__ import annotations

import asyncpg
import pytest
from prometheus_client import CollectorRegistry, generate_latest

from monitor.cluster.metrics import ClusterMetrics
from monitor.cluster.node import ClusterTiming, Node
from monitor.cluster.status import nodes_status, render_nodes
from monitor.store import leases as lease_store


async def test_status_lists_each_node_with_its_leases_and_role(pg_url: str) -> None:
    registry = CollectorRegistry()
    pool = await asyncpg.create_pool(pg_url, min_size=1, max_size=3)
    try:
        timing = ClusterTiming(lease=30.0, heartbeat=3600.0)
        polling = Node(pool, timing, metrics=ClusterMetrics(registry))
        leaving = Node(pool, timing)
        await polling.start()
        await leaving.start()
        polling.roles.add("assigner")
        await polling.beat()
        async with pool.acquire() as conn:
            await lease_store.sync(conn, [(f"http://127.0.0.1:1/{i}", 0.0) for i in range(5)])
            await lease_store.take_due(conn, polling.id, 3, 30.0)
        await leaving.stop()
        nodes = await nodes_status(pool, 30.0)
    finally:
        await pool.close()
    shown = [(n["id"], n["alive"], n["role"], n["feeds_leased"]) for n in nodes]
    assert shown == [(leaving.id, False, "stopped", 0), (polling.id, True, "assigner", 3)]
    text = "\n".join(render_nodes(nodes))
    assert "Nodes: 1 alive of 2" in text
    assert f"{polling.pid}" in text and "assigner" in text and "dead (stopped)" in text
    metrics = generate_latest(registry).decode()
    assert f'monitor_node_info{{host="{polling.host}",node="{polling.id}"' in metrics
    assert 'role="assigner"' in metrics


@pytest.mark.parametrize("case", ["a database no node ever ran on"])
async def test_status_of_a_database_without_nodes_is_empty_and_creates_nothing(
    pg_url: str, case: str
) -> None:
    pool = await asyncpg.create_pool(pg_url, min_size=1, max_size=1)
    try:
        assert await nodes_status(pool, 30.0) == [], case
        assert await pool.fetchval("SELECT to_regclass('cluster_nodes')") is None
    finally:
        await pool.close()
    assert render_nodes([]) == []
