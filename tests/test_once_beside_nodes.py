"""`monitor once` on a PostgreSQL store that a live node runs: refused in one line naming the
database and the node, no alert sent by it (the node decides stories and sends them), and so is
`test-alert`; once the node is dead (killed: its heartbeat older than [cluster] lease), `once`
runs and alerts once."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import asyncpg
import pytest
from clirun import HEADLINES, PASSWORD, monitor_cli, pipeline_config, with_password
from feedserver import FeedServer, rss
from standins import telegram_standin, webhook_receiver

from monitor.cluster.node import ClusterTiming, Node
from monitor.config import Config, load
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
            no_node = (
                "in use by another monitor: the assigner role is held by a process that is no node"
            )
            with pytest.raises(StoreError, match=no_node):
                async with alone(loaded):
                    pass
        assert await cluster_store.take_role(standby, "sender", node.id) is not None
    finally:
        await standby.close()
        await pool.close()


def _quick(tmp_path: Path, url: str) -> Config:
    """A config on ``url`` whose nodes are dead 0.6 s after their last heartbeat."""
    path = tmp_path / "config.toml"
    cluster = f'[cluster]\nlease = "{LEASE}s"\nheartbeat = "{HEARTBEAT}s"\n'
    path.write_text(
        pipeline_config(url, [], "http://127.0.0.1:1", "http://127.0.0.1:1", tables=cluster)
    )
    return load(path)


async def test_a_stale_assigner_is_fenced_while_once_holds_the_role(
    pg_url: str, tmp_path: Path
) -> None:
    """A frozen assigner (its heartbeat stale, its lock connection dropped by the server)
    resumes while `once` holds the role: its next batch does not commit, as after a node's
    election (review15b D2: the role was held without raising its term's epoch)."""
    from monitor.cluster.beside import alone
    from monitor.cluster.election import RoleLost, Term

    loaded = _quick(tmp_path, pg_url)
    pool = await asyncpg.create_pool(pg_url, min_size=1, max_size=2)
    try:
        node = Node(pool, ClusterTiming(lease=LEASE, heartbeat=3600.0))
        await node.start()
        lock = await asyncpg.connect(pg_url)
        epoch = await cluster_store.take_role(lock, "assigner", node.id)
        assert epoch is not None
        term = Term("assigner", epoch, node.id)
        await lock.close()  # the server dropped the frozen node's connection: lock released
        await asyncio.sleep(LEASE + 0.2)  # and its heartbeat is older than the lease: dead
        async with alone(loaded), pool.acquire() as conn:
            with pytest.raises(RoleLost):  # the stale assigner resumes its batch
                async with conn.transaction():
                    await term.fence(conn)
    finally:
        await pool.close()


async def test_of_two_onces_started_together_one_runs(pg_url: str, tmp_path: Path) -> None:
    """Two `monitor once` started together (two cron entries): one runs, the other is
    refused (review15b D3: each took one of the two roles, and both were refused)."""
    from monitor.cluster.beside import alone

    loaded = _quick(tmp_path, pg_url)

    async def one(gate: asyncio.Event) -> bool:
        try:
            async with alone(loaded):
                await gate.wait()  # until the other has been refused
                return True
        except StoreError:
            gate.set()
            return False

    for _ in range(40):  # the race is narrow: both were refused in about 1 of 6 tries
        gate = asyncio.Event()
        ran = await asyncio.gather(one(gate), one(gate))
        assert sorted(ran) == [False, True], ran


async def test_a_frozen_node_that_still_holds_its_role_is_named(
    pg_url: str, tmp_path: Path
) -> None:
    """A node frozen or cut off, its lock connection still open on the server: dead by its
    heartbeat, yet holding the assigner role. `once` is refused (no node can take the role
    either), and the line names that node, not another command (review15b D4)."""
    from monitor.cluster.beside import alone

    loaded = _quick(tmp_path, pg_url)
    pool = await asyncpg.create_pool(pg_url, min_size=1, max_size=2)
    lock = await asyncpg.connect(pg_url)
    try:
        node = Node(pool, ClusterTiming(lease=LEASE, heartbeat=3600.0))
        await node.start()
        assert await cluster_store.take_role(lock, "assigner", node.id) is not None
        await asyncio.sleep(LEASE + 0.2)  # frozen: silent for longer than the lease
        with pytest.raises(StoreError, match=rf"held by node {node.id} on .* silent for"):
            async with alone(loaded):
                pass
    finally:
        await lock.close()
        await pool.close()


async def test_the_roles_stay_held_on_a_server_that_ends_idle_sessions(
    pg_url: str, tmp_path: Path
) -> None:
    """idle_session_timeout (PostgreSQL 14+, set by some hosted services): the command's
    connection is idle while `once` polls; were the server to close it, a node would be
    elected while `once` still decides and sends (review15b D1)."""
    from monitor.cluster.beside import alone

    admin = await asyncpg.connect(pg_url)
    try:
        if admin.get_server_version().major < 14:
            pytest.skip("idle_session_timeout is PostgreSQL 14+")
        await cluster_store.ensure_schema(admin)
        db = await admin.fetchval("SELECT current_database()")
        await admin.execute(f"ALTER DATABASE \"{db}\" SET idle_session_timeout = '1s'")
    finally:
        await admin.close()
    async with alone(_quick(tmp_path, pg_url)):
        await asyncio.sleep(1.5)  # `once` polling its feeds
        standby = await asyncpg.connect(pg_url)
        try:
            assert await cluster_store.take_role(standby, "sender", 1) is None
        finally:
            await standby.close()


async def test_test_alert_sends_with_the_database_down(tmp_path: Path) -> None:
    """`test-alert` needs no database: with its PostgreSQL server down it still sends the test
    message, with a one-line warning (review15b D5: it exited on "cannot open the database")."""
    async with webhook_receiver() as hook:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # nothing listens there
        path = tmp_path / "config.toml"
        url = f"postgresql://monitor:{PASSWORD}@127.0.0.1:{port}/db"
        path.write_text(pipeline_config(url, [], "http://127.0.0.1:1", hook.url))
        code, out, err = await monitor_cli("test-alert", "--channel", "hook", config=path)
        assert code == 0, (out, err)
        assert len(hook.requests) == 1, hook.requests
        assert "going on without it" in err and PASSWORD not in err + out, err
