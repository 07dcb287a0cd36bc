"""Three `monitor run` nodes over one real PostgreSQL: 300 local feeds, one story carried by 40
of them, a Telegram stand-in and a webhook. The nodes start at once on an empty database; the
assigner is killed with SIGKILL mid-run while the story keeps growing. What the user sees:
one alert per channel for the story (then edits), every feed polled throughout and none twice
within its interval, every item stored once and in one story, nothing left unassigned."""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from aiohttp import web
from clirun import (
    HEADLINES,
    PASSWORD,
    SPREAD,
    monitor_cli,
    pipeline_config,
    start_node,
    stop_nodes,
    with_password,
)
from feedserver import FeedServer, rss
from standins import telegram_standin, webhook_receiver

FEEDS = 300
OUTLETS = 40  # feeds that carry the story
INTERVAL = 4.0
LEASE = 2.0


def _config(database: str, urls: list[str], tg_url: str, hook_url: str) -> str:
    monitor = (f'interval = "{INTERVAL:.0f}s"', 'min_interval = "1s"', 'grace_period = "2s"')
    cluster = f"""
[cluster]
lease = "{LEASE:.0f}s"
heartbeat = "0.5s"
election = "0.3s"
"""
    return pipeline_config(database, urls, tg_url, hook_url, monitor=monitor, tables=cluster)


class Outlets:
    """300 feeds over the test's server; each request noted with its time."""

    def __init__(self, fs: FeedServer) -> None:
        self.polls: dict[str, list[float]] = defaultdict(list)
        self.bodies: dict[str, bytes] = {}
        for i in range(FEEDS):
            self.publish(i, story=False)
            fs.handler(f"/f{i}", self._serve)
        self.urls = [fs.url(f"/f{i}") for i in range(FEEDS)]

    def publish(self, i: int, *, story: bool, follow_up: bool = False) -> None:
        items = [(f"Council news {i}: budget item {i}", f"http://n{i}.example/budget")]
        if story:
            items.insert(0, (HEADLINES[i % 3] + f" - Outlet {i}", f"http://o{i}.example/rail"))
        if follow_up:
            items.insert(0, (HEADLINES[(i + 1) % 3] + f" (update) - Outlet {i}",
                             f"http://o{i}.example/rail-2"))  # fmt: skip
        self.bodies[f"/f{i}"] = rss(f"Outlet {i}", items)

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        self.polls[request.path].append(time.monotonic())
        return web.Response(body=self.bodies[request.path], content_type="application/rss+xml")


async def _until(predicate, within: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not await predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.2)


@pytest.fixture
async def db(pg_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(pg_url)
    try:
        yield conn
    finally:
        await conn.close()


async def test_three_nodes_kill_the_assigner_one_alert_no_item_twice(
    feed_server: FeedServer, pg_url: str, db: asyncpg.Connection, tmp_path: Path
) -> None:
    outlets = Outlets(feed_server)
    for i in range(OUTLETS):
        outlets.publish(i, story=True)
    procs: list[asyncio.subprocess.Process] = []
    async with telegram_standin() as tg, webhook_receiver() as hook:
        config = tmp_path / "config.toml"
        config.write_text(_config(with_password(pg_url), outlets.urls, tg.url, hook.url), "utf-8")
        try:
            procs = [await start_node(config, env=SPREAD) for _ in range(3)]  # at once, on an empty database

            async def alerted() -> bool:
                return bool(tg.sent) and bool(hook.payloads()) and len(outlets.polls) == FEEDS

            await _until(alerted, 60)

            async def settled() -> bool:  # the story whole, its alert marked sent
                queued = await db.fetchval("SELECT count(*) FROM assign_queue")
                pending = await db.fetchval("SELECT count(*) FROM alerts WHERE status = 'pending'")
                return queued == 0 and pending == 0

            await _until(settled, 30)
            pid = await db.fetchval(
                "SELECT n.pid FROM cluster_roles r JOIN cluster_nodes n ON n.id = r.node"
                " WHERE r.role = 'assigner'"
            )
            victim = next(p for p in procs if p.pid == pid)
            victim.kill()
            killed = time.monotonic()
            for i in range(OUTLETS // 2):  # the story grows while the assigner is gone
                outlets.publish(i, story=True, follow_up=True)

            async def assigned() -> bool:
                left = await db.fetchval("SELECT count(*) FROM assign_queue")
                grown = await db.fetchval(
                    "SELECT count(*) FROM items WHERE title LIKE '%(update)%'"
                )
                return left == 0 and grown == OUTLETS // 2

            await _until(assigned, 30)
            # Long enough after the kill that a feed nobody polls again shows as a gap.
            await asyncio.sleep(max(0.0, killed + INTERVAL + LEASE + 3.0 - time.monotonic()))
            ended = time.monotonic()
            (code, out, err), (code2, text, err2) = await asyncio.gather(
                monitor_cli("status", "--json", config=config), monitor_cli("status", config=config)
            )
            assert code == 0 and code2 == 0, err + err2
            nodes = json.loads(out)["nodes"]
        finally:
            errors = await stop_nodes(procs)
        assert [p.returncode for p in procs].count(-signal.SIGKILL) == 1
        assert all(p.returncode in (0, -signal.SIGKILL) for p in procs), errors

        # `monitor status` lists the nodes: the killed one dead, the others with their roles.
        assert sorted(n["pid"] for n in nodes) == sorted(p.pid for p in procs)
        assert [n["alive"] for n in nodes if n["pid"] == victim.pid] == [False]
        roles = " ".join(n["role"] for n in nodes if n["alive"])
        assert "assigner" in roles and "sender" in roles
        assert "Nodes: 2 alive of 3" in text and PASSWORD not in out + text

        # One alert per channel for the story, whichever nodes assigned and sent.
        assert len(tg.sent) == 1 and "Márquez" in tg.sent[0]["text"]
        # The story grew after the kill: its one message edited (by whichever node sends now;
        # the message id is in the store).
        assert tg.edits
        assert {int(e["message_id"]) for e in tg.edits} == {tg.sent[0]["message_id"]}
        assert [p["alert"]["kind"] for p in hook.payloads()].count("new") == 1
        # Every item once, every item in a story, the story's copies in one story.
        rows = await db.fetch("SELECT feed_id, key, story_id, title FROM items")
        assert len(rows) == FEEDS + OUTLETS + OUTLETS // 2
        assert len({(r["feed_id"], r["key"]) for r in rows}) == len(rows)
        assert all(r["story_id"] is not None for r in rows)
        story = {
            r["story_id"] for r in rows if "Márquez" in r["title"] and "(update)" not in r["title"]
        }
        assert len(story) == 1
        assert await db.fetchval("SELECT count(*) FROM assign_queue") == 0
        assert await db.fetchval("SELECT epoch FROM cluster_roles WHERE role = 'assigner'") >= 2
        # The three nodes that started at once migrated the database once.
        names = await db.fetch("SELECT name FROM migrations")
        assert len(names) == len({r["name"] for r in names})

    # Every feed polled throughout, none twice within its interval: a feed is due an interval
    # after its answer came (``pipeline.refresh_feed``), and the server noted the request before
    # it answered; however long a request waited for the per-host slot (all 300 feeds are on one
    # host), the next one is noted an interval after it at least. A feed the killed node held is
    # due a lease after its last beat plus the feed's gap; on an expired lease alone it would
    # come LEASE after the last poll.
    late = [
        p
        for p, ts in outlets.polls.items()
        for a, b in itertools.pairwise([killed, *[t for t in ts if t > killed], ended])
        if b - a > INTERVAL + LEASE + 2.0
    ]
    assert late == [], f"{len(late)} gaps longer than interval + lease"
    doubled = [
        (p, round(b - a, 2))
        for p, ts in outlets.polls.items()
        for a, b in itertools.pairwise(ts)
        if b - a < INTERVAL
    ]
    assert doubled == [], "polled twice within an interval"
