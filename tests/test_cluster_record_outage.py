"""A PostgreSQL restart on a cluster sends the alert once (review18c). The restart drops
every connection, the sender's election lock with them: its term ends within `election`
seconds and its delivery is stopped (cluster.runtime._send -> Engine.stop_delivery). A record
that a stop ended at once (7d47307) left the alert pending, and the next term sent it again:
twice to the same reader for any outage longer than the election interval. A real
`monitor run` node, a local feed and webhook; PostgreSQL refuses connections for 4 s right
after the first POST."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from aiohttp import web
from clirun import HEADLINES, start_node, stop_nodes
from feedserver import FeedServer, rss
from standins import serve_app

DOWN = 4.0  # seconds PostgreSQL is away: a restart


async def _admin(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")))


async def _sent_in_a_new_term(url: str, within: float) -> None:
    """Until the sender's term after the restart has begun and no alert waits to be sent."""
    deadline = time.monotonic() + within
    while True:
        try:
            conn = await asyncpg.connect(url)
        except (OSError, asyncpg.PostgresError):
            conn = None  # connections are still refused
        if conn is not None:
            try:
                epoch = await conn.fetchval("SELECT epoch FROM cluster_roles WHERE role = 'sender'")
                pending = await conn.fetchval(
                    "SELECT count(*) FROM alerts WHERE status = 'pending'"
                )
                sent = await conn.fetchval("SELECT count(*) FROM alerts WHERE status = 'sent'")
            finally:
                await conn.close()
            if (epoch or 0) >= 2 and pending == 0 and sent >= 1:
                return
        assert time.monotonic() < deadline, "no new term, or the alert not recorded as sent"
        await asyncio.sleep(0.2)


async def test_a_short_restart_on_a_cluster_sends_the_alert_once(
    pg_url: str, feed_server: FeedServer, tmp_path: Path
) -> None:
    name = urlsplit(pg_url).path.lstrip("/")
    posts: list[float] = []
    back: list[asyncio.Task[None]] = []
    restarted = asyncio.Event()

    async def up_again() -> None:
        await asyncio.sleep(DOWN)
        admin = await _admin(pg_url)
        try:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        finally:
            await admin.close()

    async def hook(request: web.Request) -> web.Response:
        await request.read()
        posts.append(time.monotonic())
        if len(posts) == 1:  # the message is out: PostgreSQL restarts before its record
            admin = await _admin(pg_url)
            try:
                await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                    name,
                )
            finally:
                await admin.close()
            back.append(asyncio.create_task(up_again()))
            restarted.set()
        return web.Response(status=200)

    feed_server.feed("/f", rss("Wire", [(HEADLINES[0], "http://o.example/rail")]))
    app = web.Application()
    app.router.add_post("/hook", hook)
    async with serve_app(app) as base:
        config = tmp_path / "config.toml"
        config.write_text(
            f"""
[monitor]
database = "{pg_url}"
max_age = "3650d"
retention = "3650d"
jitter = 0
interval = "60s"

[[feeds]]
url = "{feed_server.url("/f")}"

[dedup]
window = "3650d"

[[entities]]
name = "Elena Márquez"

[[rules]]
name = "rail"
query = '@"Elena Márquez" AND summit'
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{base}/hook"

[cluster]
lease = "3s"
heartbeat = "0.5s"
election = "0.3s"
""",
            encoding="utf-8",
        )
        proc = await start_node(config)
        try:
            await asyncio.wait_for(restarted.wait(), 60)  # the alert is out, the store away
            await back[0]
            # The store is back: a new term, the outbox read again. Its alert is recorded as
            # sent (a record given up left it pending: the new term sent it again first).
            await _sent_in_a_new_term(pg_url, within=30)
            await asyncio.sleep(1.0)  # a second send in flight would be through by now
        finally:
            (err,) = await stop_nodes([proc])
    assert len(posts) == 1, (len(posts), err[-3000:])
