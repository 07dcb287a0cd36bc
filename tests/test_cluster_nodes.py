"""Three node processes over one real PostgreSQL share 300 feeds served over real HTTP; one is
killed with SIGKILL mid-run. What a feed's host and the user would notice: every feed keeps
being polled, none twice within its interval, the dead node's feeds are taken within its
lease, and when the killed node was the assigner another takes the role within seconds."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from feedserver import FeedServer, rss

NODE = Path(__file__).with_name("clusternode.py")
FEEDS = 300
INTERVAL = 2.5
LEASE = 1.5
HEARTBEAT = 0.4


class Nodes:
    def __init__(self) -> None:
        self.procs: list[asyncio.subprocess.Process] = []
        self.lines: list[list[str]] = []

    async def start(self, dsn: str, base: str) -> asyncio.subprocess.Process:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(NODE), dsn, base, str(FEEDS), str(INTERVAL), str(LEASE),
            str(HEARTBEAT),
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(NODE.parent)},
        )  # fmt: skip
        lines: list[str] = []
        self.procs.append(proc)
        self.lines.append(lines)
        assert proc.stdout is not None
        first = await asyncio.wait_for(proc.stdout.readline(), 30)
        assert first.startswith(b"ready"), first
        lines.append(first.decode().strip())
        asyncio.get_running_loop().create_task(self._read(proc, lines))
        return proc

    @staticmethod
    async def _read(proc: asyncio.subprocess.Process, lines: list[str]) -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            lines.append(raw.decode().strip())

    def assigner_terms(self) -> list[tuple[int, int]]:
        return sorted(
            (int(p[2]), int(p[1]))
            for lines in self.lines
            for p in (line.split() for line in lines)
            if p[0] == "assigner"
        )

    async def stop(self) -> None:
        for proc in self.procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()


@pytest.fixture
async def nodes() -> AsyncIterator[Nodes]:
    n = Nodes()
    try:
        yield n
    finally:
        await n.stop()


def _serve_feeds(fs: FeedServer, polls: dict[str, list[float]]) -> None:
    body = rss("A feed", [("A headline", "http://example.org/a")])

    async def feed(request: web.Request) -> web.StreamResponse:
        polls[request.path].append(time.monotonic())
        await asyncio.sleep(0.1)  # so that a killed node always dies with polls in flight
        return web.Response(body=body, content_type="application/rss+xml")

    for i in range(FEEDS):
        fs.handler(f"/feed/{i}.xml", feed)


async def test_a_node_killed_mid_run_loses_no_feed_and_doubles_none(
    pg_url: str, feed_server: FeedServer, nodes: Nodes
) -> None:
    polls: dict[str, list[float]] = defaultdict(list)
    _serve_feeds(feed_server, polls)
    base = feed_server.url("").rstrip("/")
    await asyncio.gather(*(nodes.start(pg_url, base) for _ in range(3)))
    deadline = time.monotonic() + 30
    while len(polls) < FEEDS or len(nodes.assigner_terms()) < 1:  # all polled before the kill
        assert time.monotonic() < deadline, f"{len(polls)} of {FEEDS} feeds polled"
        await asyncio.sleep(0.1)
    await asyncio.sleep(INTERVAL / 2)  # into the second round: polls in flight at the kill

    terms = nodes.assigner_terms()
    assert len(terms) == 1  # one assigner among the three
    leader = terms[0][1]
    victim = next(
        i for i, lines in enumerate(nodes.lines) if lines[0] == f"ready {leader}"
    )  # kill the assigner: the worst case, it leads a role and holds feeds
    nodes.procs[victim].kill()
    killed_at = time.monotonic()
    await asyncio.sleep(2 * INTERVAL + LEASE)
    ended = time.monotonic()

    never_again = [p for p, ts in polls.items() if ts[-1] < killed_at]
    assert never_again == [], f"{len(never_again)} feeds not polled since the kill"
    # Every feed is polled in every stretch of (interval + lease) after the kill.
    late = [
        p
        for p, ts in polls.items()
        for a, b in itertools.pairwise([killed_at, *[t for t in ts if t > killed_at], ended])
        if b - a > INTERVAL + LEASE + 1.0
    ]
    assert late == []
    # A feed is due an interval after its answer came, which the server sends after it noted
    # the request: however late a request leaves (a loaded machine), the next one is noted an
    # interval after it at least. A poll taken over from the dead node comes a lease after its
    # last beat plus the feed's gap; on an expired lease alone it would come LEASE after.
    doubled = [
        (p, round(b - a, 2))
        for p, ts in polls.items()
        for a, b in itertools.pairwise(ts)
        if b - a < INTERVAL
    ]
    assert doubled == [], "polled twice within an interval"
    terms = nodes.assigner_terms()
    assert len(terms) == 2 and terms[1][0] == terms[0][0] + 1  # another node took over
    assert terms[1][1] != leader
