"""The per-host limit holds across nodes: two `monitor run` nodes over one PostgreSQL, twenty
slow feeds on one host, `[fetch] per_host = 4`: the host never sees more than four requests
at once from the monitor (each node takes its share, ceil(4 / 2))."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg
from aiohttp import web
from clirun import SPREAD, start_node, stop_nodes, with_password
from feedserver import FeedServer, rss

PER_HOST = 4


class SlowHost:
    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self.requests = 0

    async def serve(self, request: web.Request) -> web.StreamResponse:
        self.now += 1
        self.requests += 1
        self.most = max(self.most, self.now)
        try:
            await asyncio.sleep(0.5)
            return web.Response(body=rss("Slow", []), content_type="application/rss+xml")
        finally:
            self.now -= 1


async def test_two_nodes_hold_the_per_host_limit_together(
    feed_server: FeedServer, pg_url: str, tmp_path: Path
) -> None:
    host = SlowHost()
    lines = ["[monitor]", f'database = "{with_password(pg_url)}"', "jitter = 0",
             'interval = "1s"', 'min_interval = "1s"', 'grace_period = "2s"',
             "[fetch]", f"per_host = {PER_HOST}",
             "[cluster]", 'lease = "3s"', 'heartbeat = "0.3s"', 'election = "0.3s"']  # fmt: skip
    for i in range(20):
        feed_server.handler(f"/slow{i}", host.serve)
        lines += ["[[feeds]]", f'url = "{feed_server.url(f"/slow{i}")}"']
    config = tmp_path / "config.toml"
    config.write_text("\n".join(lines), "utf-8")
    db = await asyncpg.connect(pg_url)
    procs = []
    try:
        for _ in range(2):
            procs.append(await start_node(config, env=SPREAD))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if await db.fetchval("SELECT to_regclass('cluster_nodes') IS NOT NULL") and (
                await db.fetchval("SELECT count(*) FROM cluster_nodes WHERE stopped IS NULL") == 2
            ):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.5)  # each node's next beat counts two: the shares are set
        host.most, host.requests = host.now, 0
        # Twenty feeds due every second, each request 0.5 s: ten at once wanted, the limit's
        # four kept busy; in 2 s some sixteen requests, and a node over its share shows.
        await asyncio.sleep(2.0)
    finally:
        await stop_nodes(procs)
        await db.close()
    assert host.requests >= 2 * PER_HOST  # both nodes polled, the host was kept busy
    assert host.most <= PER_HOST, f"{host.most} requests at once on a host limited to {PER_HOST}"
