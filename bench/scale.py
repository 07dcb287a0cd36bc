"""Scale-out benchmark: polls/s and items/s with 1, 2 and 3 nodes over one PostgreSQL, the
CPU each poll and item costs, database transactions per poll, and failover time vs the lease.

Each node is its own process (tests/clusternode.py: the real Node, LeasedScheduler and
Election) polling a local server that serves the real feeds of ../shared/data/real-feeds
(cycled over ``--feeds`` paths, each answering 200 with its body) and parsing every body with
monitor's parser. Every feed is always due (interval 0), so the nodes poll as fast as their
``--max-polls`` slots, the cores and the database allow. What is NOT in these figures: storing
the items, stories and alerts (the PostgreSQL store is benched by bench/store_cost.py).

Failover: two nodes poll every feed each ``--interval`` seconds; one is killed with SIGKILL;
for the feeds it was polling, the time from the kill to their next poll by the other node
(bounded by the lease), and for its other feeds how late they were polled after their time.

    flock /tmp/bench.lock python bench/scale.py [--seconds 12] [--feeds 600] [--lease 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import asyncpg
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from pgserver import Cluster, start_cluster
from scalenodes import Newsroom
from scalenodes import run as run_pipeline

NODE = ROOT / "tests" / "clusternode.py"
FAILOVER_FEEDS = 60
FEEDS_DIR = ROOT.parent / "shared" / "data" / "real-feeds"


class FeedHost:
    """Serves the real feeds and notes every request (path, time)."""

    def __init__(self, count: int) -> None:
        files = sorted(p for p in FEEDS_DIR.iterdir() if p.suffix in (".rss", ".atom"))
        self.bodies = [p.read_bytes() for p in files]
        self.count = count
        self.requests: dict[str, list[float]] = defaultdict(list)
        self.runner: web.AppRunner | None = None
        self.base = ""
        self.delay = 0.0  # seconds each answer takes (a slow host keeps polls in flight)

    async def start(self) -> None:
        async def feed(request: web.Request) -> web.Response:
            self.requests[request.path].append(time.time())
            if self.delay:
                await asyncio.sleep(self.delay)
            number = int(request.match_info["n"])
            body = self.bodies[number % len(self.bodies)]
            return web.Response(body=body, content_type="application/xml")

        app = web.Application()
        app.router.add_get("/feed/{n}.xml", feed)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"

    def total(self) -> int:
        return sum(len(v) for v in self.requests.values())


async def _node(dsn: str, host: FeedHost, interval: float, lease: float, max_polls: int,
                parse: bool = True, feeds: int = 0) -> asyncio.subprocess.Process:  # fmt: skip
    args = [str(NODE), dsn, host.base, str(feeds or host.count), str(interval), str(lease),
            str(min(1.0, lease / 4)), "--max-polls", str(max_polls)]  # fmt: skip
    if parse:
        args.append("--parse")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT / "tests")},
    )  # fmt: skip
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    assert line.startswith(b"ready"), line
    return proc


async def _stop(proc: asyncio.subprocess.Process) -> list[str]:
    proc.send_signal(signal.SIGTERM)
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    last = [line for line in out.decode().splitlines() if line.startswith("stopped")]
    return last[-1].split() if last else []


async def _transactions(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        value: int = await conn.fetchval(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database"
            " WHERE datname = current_database()"
        )
        return value
    finally:
        await conn.close()


async def throughput(cluster: Cluster, host: FeedHost, nodes: int, seconds: float,
                     max_polls: int, lease: float) -> dict[str, float]:  # fmt: skip
    dsn = cluster.create_database("scale")
    procs = [await _node(dsn, host, 0.0, lease, max_polls) for _ in range(nodes)]
    await asyncio.sleep(2.0)  # warm up: connections, first batches
    before_requests, before_tx = host.total(), await _transactions(dsn)
    started = time.monotonic()
    await asyncio.sleep(seconds)
    polls = host.total() - before_requests
    tx = await _transactions(dsn) - before_tx
    elapsed = time.monotonic() - started
    stops = [await _stop(p) for p in procs]
    total_polls = sum(int(s[2]) for s in stops if s)
    items = sum(int(s[3]) for s in stops if s)
    cpu = sum(float(s[4]) for s in stops if s)
    return {
        "nodes": nodes,
        "polls_s": polls / elapsed,
        "items_s": polls / elapsed * (items / max(1, total_polls)),
        "cpu_ms_poll": 1000 * cpu / max(1, total_polls),
        "cpu_us_item": 1e6 * cpu / max(1, items),
        "tx_poll": tx / max(1, polls),
    }


async def failover(
    cluster: Cluster, host: FeedHost, interval: float, lease: float
) -> tuple[list[float], list[float]]:
    """(for the feeds the killed node was polling: seconds from the kill to their next poll;
    for its other feeds: how late their next poll was after they were due)."""
    dsn = cluster.create_database("failover")
    host.delay = 0.5  # so that the killed node dies with polls in flight
    # Few enough feeds that one node alone keeps up with them (polls of 0.5 s, 20 at once).
    procs = [await _node(dsn, host, interval, lease, 20, False, FAILOVER_FEEDS) for _ in range(2)]
    await asyncio.sleep(3 * interval + 1)
    conn = await asyncpg.connect(dsn)
    path = "'/feed/' || split_part(feed_url, '/feed/', 2)"
    try:
        victim = await conn.fetchval("SELECT min(id) FROM cluster_nodes")
        procs[0].kill()  # the first to start has the lower id
        killed = time.time()
        rows = await conn.fetch(
            f"SELECT {path} AS path, next_poll_at, leased_by FROM feed_leases"
            " WHERE last_polled_by = $1",
            victim,
        )
    finally:
        await conn.close()
    await asyncio.sleep(interval + 3 * lease)
    await procs[0].wait()
    await _stop(procs[1])
    host.delay = 0.0
    in_flight, others = [], []
    for row in rows:
        after = [t for t in host.requests[row["path"]] if t > killed]
        if row["leased_by"] == victim:
            in_flight.append(after[0] - killed if after else float("inf"))
        else:
            others.append(after[0] - max(row["next_poll_at"], killed) if after else float("inf"))
    return in_flight, others


async def pipeline(cluster: Cluster, args: argparse.Namespace) -> None:
    """The whole pipeline in `monitor run` nodes: SQLite (one node) as the baseline, then
    PostgreSQL with 1, 2 and 3 nodes."""
    room = Newsroom()
    await room.start()
    try:
        print(f"whole pipeline: monitor run nodes, {args.pipeline_feeds} feeds each publishing"
              f" 5 new real headlines (UCI) per poll, 1 s interval, {args.pipeline_seconds:.0f}s"
              " measured per run; CPU is the nodes' own, not the database server's")  # fmt: skip
        base = None
        with tempfile.TemporaryDirectory(prefix="scale-sqlite-") as tmp:
            runs = [("SQLite, 1 node", str(Path(tmp) / "monitor.db"), 1)]
            runs += [(f"PostgreSQL, {n} node{'s' * (n > 1)}", "", n) for n in (1, 2, 3)]
            for label, database, nodes in runs:
                database = database or cluster.create_database("pipe")
                r = await run_pipeline(database, nodes, args.pipeline_feeds,
                                       args.pipeline_seconds, room)  # fmt: skip
                base = base or r
                print(f"  {label:<22} {r['stored_s']:7.0f} items stored/s"
                      f" {r['assigned_s']:7.0f} assigned/s  {r['cpu_ms_item']:.2f} ms CPU/item"
                      f" ({r['cpu_ms_item'] / base['cpu_ms_item']:.2f}x SQLite's)"
                      f"  {r['cores']:.2f} cores  load {os.getloadavg()[0]:.1f}")  # fmt: skip
    finally:
        await room.stop()


def _spread(values: list[float]) -> str:
    finite = sorted(x for x in values if x != float("inf"))
    lost = len(values) - len(finite)
    if not finite:
        return f"{len(values)} feeds, none polled again"
    return (f"{len(values)} feeds, p50 {statistics.median(finite):.2f}s,"
            f" max {max(finite):.2f}s, never polled again: {lost}")  # fmt: skip


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seconds", type=float, default=12.0)
    p.add_argument("--feeds", type=int, default=600)
    p.add_argument("--lease", type=float, default=3.0)
    p.add_argument("--interval", type=float, default=2.0, help="failover run's poll interval")
    p.add_argument("--max-polls", type=int, default=20)
    p.add_argument("--pipeline-feeds", type=int, default=300)
    p.add_argument("--pipeline-seconds", type=float, default=15.0)
    p.add_argument("--only", choices=["leases", "pipeline"], default=None)
    args = p.parse_args()
    cluster = start_cluster()
    if cluster is None:
        sys.exit("bench/scale.py needs PostgreSQL (Debian package postgresql)")
    host = FeedHost(args.feeds)
    await host.start()
    try:
        print(f"{args.feeds} feeds (real-feeds cycled), {args.seconds:.0f}s per run, "
              f"max_polls {args.max_polls}, {os.cpu_count()} cores, "
              f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
        rows = []
        for n in (1, 2, 3) if args.only != "pipeline" else ():
            row = await throughput(cluster, host, n, args.seconds, args.max_polls, args.lease)
            rows.append(row)
            base = rows[0]
            print(f"  {n} node{'s' * (n > 1)}: {row['polls_s']:7.1f} polls/s"
                  f" ({row['polls_s'] / base['polls_s']:.2f}x one node)  {row['items_s']:8.0f}"
                  f" items/s  {row['cpu_ms_poll']:.2f} ms CPU/poll  {row['cpu_us_item']:.0f} us"
                  f" CPU/item  {row['tx_poll']:.2f} db transactions/poll"
                  f"  load {os.getloadavg()[0]:.1f}")  # fmt: skip
        if args.only != "leases":
            await pipeline(cluster, args)
        if args.only == "pipeline":
            return
        in_flight, others = await failover(cluster, host, args.interval, args.lease)
        worst = max([x for x in in_flight if x != float("inf")] or [0.0])
        print(
            f"failover (SIGKILL of one of 2 nodes; lease {args.lease:.1f}s, interval"
            f" {args.interval:.1f}s):"
        )
        print(
            f"  feeds it was polling, kill -> next poll by the other: {_spread(in_flight)}"
            f" ({worst / args.lease:.2f}x the lease)"
        )
        print(f"  its other feeds, due -> polled by the other: {_spread(others)}")
    finally:
        if host.runner is not None:
            await host.runner.cleanup()
        cluster.stop()


if __name__ == "__main__":
    asyncio.run(main())
