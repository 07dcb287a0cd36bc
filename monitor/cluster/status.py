"""cluster.status: the nodes of a shared monitor, for ``monitor status`` and its ``--json``."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import asyncpg

from monitor.store import cluster as cluster_store


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


async def nodes_status(pool: asyncpg.Pool, lease: float) -> list[dict[str, Any]]:
    """Each node seen in the last day: host, pid, started, last heartbeat, alive, role, feeds
    leased now. Reads only (nothing is created in a database that has no cluster yet)."""
    async with pool.acquire() as conn:
        if not await cluster_store.has_schema(conn):
            return []
        rows = await cluster_store.nodes(conn, lease)
    return [
        {
            "id": r.id,
            "host": r.host,
            "pid": r.pid,
            "started": _iso(r.started),
            "heartbeat": _iso(r.heartbeat),
            "alive": r.alive,
            "role": r.role,
            "feeds_leased": r.feeds_leased,
        }
        for r in rows
    ]


def render_nodes(nodes: list[dict[str, Any]], now: float | None = None) -> list[str]:
    """The readable lines: one per node, the live ones first."""
    if not nodes:
        return []
    now = time.time() if now is None else now
    alive = [n for n in nodes if n["alive"]]
    lines = [f"Nodes: {len(alive)} alive of {len(nodes)} seen in the last day"]
    lines.append(f"  {'NODE':>5}  {'HOST':<24} {'PID':>7}  {'HEARTBEAT':<10} {'LEASED':>6}  ROLE")
    for n in sorted(nodes, key=lambda n: (not n["alive"], n["id"])):
        beat = now - datetime.fromisoformat(n["heartbeat"]).timestamp()
        role = n["role"] if n["alive"] else f"dead ({n['role']})"
        lines.append(
            f"  {n['id']:>5}  {n['host'][:24]:<24} {n['pid']:>7}  {f'{beat:.0f}s ago':<10}"
            f" {n['feeds_leased']:>6}  {role}"
        )
    return lines
