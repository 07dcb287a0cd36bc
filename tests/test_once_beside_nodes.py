"""`monitor once` on a PostgreSQL store that a live node runs: refused in one line naming the
database and the node, no alert sent by it (the node decides stories and sends them), and so is
`test-alert`; once the node is dead (killed: its heartbeat older than [cluster] lease), `once`
runs and alerts once."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg
import pytest
from clirun import HEADLINES, PASSWORD, monitor_cli, pipeline_config, with_password
from feedserver import FeedServer, rss
from standins import telegram_standin, webhook_receiver

from monitor.cluster.node import ClusterTiming, Node
from monitor.config import load
from monitor.errors import StoreError
from monitor.store import cluster as cluster_store

NODE = Path(__file__).with_name("clusternode.py")
LEASE = 0.6
HEARTBEAT = 0.15


async def _node(dsn: str) -> tuple[asyncio.subprocess.Process, int]:
    """A real node (tests/clusternode.py: Node, Election of the assigner), polling no feed."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(NODE), dsn, "http://127.0.0.1:1", "0", "60", str(LEASE),
        str(HEARTBEAT), stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(NODE.parent)},
    )  # fmt: skip
    assert proc.stdout is not None
    ready = (await asyncio.wait_for(proc.stdout.readline(), 30)).split()
    assert ready[0] == b"ready", ready
    # Until it is the assigner: what `once` would otherwise do beside it.
    elected = (await asyncio.wait_for(proc.stdout.readline(), 30)).split()
    assert elected[0] == b"assigner", elected
    return proc, int(ready[1])


async def test_once_is_refused_beside_a_live_node_and_runs_once_it_is_dead(
    feed_server: FeedServer, pg_url: str, tmp_path: Path
) -> None:
    feed_server.feed("/a", rss("A", [(HEADLINES[0], "http://a.example/1")]))
    async with telegram_standin() as tg, webhook_receiver() as hook:
        config = tmp_path / "config.toml"
        cluster = f'[cluster]\nlease = "{LEASE}s"\nheartbeat = "{HEARTBEAT}s"\n'
        config.write_text(
            pipeline_config(
                with_password(pg_url), [feed_server.url("/a")], tg.url, hook.url, tables=cluster
            ),
            "utf-8",
        )
        node, node_id = await _node(pg_url)
        try:
            # `once`, and a test message too (the node's sender speaks for these channels).
            refused = await asyncio.gather(
                monitor_cli("once", config=config), monitor_cli("test-alert", config=config)
            )
            for code, out, err in refused:
                assert code == 1, err
                lines = err.strip().splitlines()
                assert len(lines) == 1, err
                # The database as every message names it: its password never shown.
                assert "postgresql://***@" + pg_url.partition("@")[2] in lines[0], lines
                assert f"node {node_id} on " in lines[0] and f"pid {node.pid}" in lines[0], lines
                assert PASSWORD not in err + out
            assert tg.sent == [] and hook.requests == []
            assert feed_server.hits("/a") == []  # refused before it polled anything
        finally:
            node.kill()  # dies without leaving: only its silence says it is dead
            await node.wait()
        await asyncio.sleep(LEASE + 0.1)
        code, _out, err = await monitor_cli("once", config=config)
        assert code == 0, err
    assert len(tg.sent) == 1 and len(hook.requests) == 1


async def test_a_stopped_node_does_not_count_and_no_node_is_elected_meanwhile(
    pg_url: str, tmp_path: Path
) -> None:
    """`once` (as `cluster.beside.alone`, in-process) beside a node that stopped cleanly: it
    runs; while it runs a node cannot be elected sender or assigner, and a second `once` is
    refused; once it has ended, a node is elected again."""
    from monitor.cluster.beside import NodesRunning, alone  # new here: the file runs on main

    config = tmp_path / "config.toml"
    config.write_text(pipeline_config(pg_url, [], "http://127.0.0.1:1", "http://127.0.0.1:1"))
    loaded = load(config)
    pool = await asyncpg.create_pool(pg_url, min_size=1, max_size=2)
    standby = await asyncpg.connect(pg_url)
    try:
        node = Node(pool, ClusterTiming(lease=30.0, heartbeat=3600.0))
        await node.start()
        with pytest.raises(NodesRunning, match=rf"1 running node \(node {node.id} on "):
            async with alone(loaded):
                pass
        await node.stop()
        async with alone(loaded):
            for role in ("assigner", "sender"):
                assert await cluster_store.take_role(standby, role, node.id) is None
            with pytest.raises(StoreError, match="in use by another monitor: the assigner and"):
                async with alone(loaded):
                    pass
        assert await cluster_store.take_role(standby, "sender", node.id) is not None
    finally:
        await standby.close()
        await pool.close()
