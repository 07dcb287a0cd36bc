"""Scale-out benchmark: polls/s and items/s with 1, 2 and 3 nodes over one PostgreSQL, the
CPU each poll and item costs, database transactions per poll, and failover time vs the lease.

Each node is its own process (tests/clusternode.py: the real Node, LeasedScheduler and
Election) polling a local server that serves the real feeds of ../shared/data/real-feeds
(cycled over ``--feeds`` paths, each answering 200 with its body) and parsing every body with
monitor's parser. Every feed is always due (interval 0), so the nodes poll as fast as their
``--max-polls`` slots, the cores and the database allow. What is NOT in these figures: storing
the items, stories and alerts (the PostgreSQL store is benched by bench/store_cost.py).

CPU budgets (``--cpu-budget``, cores per node; 0: no cap): the machine has 2 cores shared with
other work, so N uncapped nodes only share out what is left of them. With a budget each node
runs in a cgroup of its own capped at that many cores and weighted above the machine's other
work (bench/cpubudget.py), as if it ran on a machine of its own; PostgreSQL and the feed server
get the same weight, uncapped. A node that uses its whole budget (throttled in ~100% of the
periods) is bound by its CPU; N such nodes polling N times what one does is linear scaling.
CPU, polls and transactions are counted over the measured window only.

Failover: two nodes poll every feed each ``--interval`` seconds; one is killed with SIGKILL;
for the feeds it was polling, the time from the kill to their next poll by the other node
(bounded by the lease), and for its other feeds how late they were polled after their time.

    flock /tmp/bench.lock python bench/scale.py [--seconds 12] [--feeds 600] [--lease 3]
        [--cpu-budget 0.25 0] [--only leases|pipeline]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from cpubudget import unavailable
from pgserver import Cluster, start_cluster
from scaleleases import FeedHost, node, serve_first, stop, throughput
from scalenodes import Newsroom
from scalenodes import run as run_pipeline

FAILOVER_FEEDS = 60


async def failover(
    cluster: Cluster, host: FeedHost, interval: float, lease: float
) -> tuple[list[float], list[float]]:
    """(for the feeds the killed node was polling: seconds from the kill to their next poll;
    for its other feeds: how late their next poll was after they were due)."""
    dsn = cluster.create_database("failover")
    host.delay = 0.5  # so that the killed node dies with polls in flight
    # Few enough feeds that one node alone keeps up with them (polls of 0.5 s, 20 at once).
    procs = [await node(dsn, host, interval, lease, 20, False, FAILOVER_FEEDS) for _ in range(2)]
    await asyncio.sleep(3 * interval)
    conn = await asyncpg.connect(dsn)
    path = "'/feed/' || split_part(feed_url, '/feed/', 2)"
    try:
        victim = await conn.fetchval("SELECT min(id) FROM cluster_nodes")
        # The nodes started together, so their feeds are polled in bursts one interval apart
        # with nothing in flight between: a kill at a fixed time after the start lands in a
        # gap (it found no feed in flight). Kill while the victim holds leases.
        deadline = time.time() + 3 * interval
        for _ in range(int(3 * interval / 0.02)):
            held = await conn.fetchval(
                "SELECT count(*) FROM feed_leases WHERE leased_by = $1", victim
            )
            if held >= 5 or time.time() > deadline:
                break
            await asyncio.sleep(0.02)
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
    await stop(procs[1])
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
    p.add_argument("--cpu-budget", type=float, nargs="+", default=[0.25, 0.0],
                   help="cores per node, one run of 1, 2, 3 nodes each (0: no cap)")  # fmt: skip
    p.add_argument("--pipeline-feeds", type=int, default=300)
    p.add_argument("--pipeline-seconds", type=float, default=15.0)
    p.add_argument("--only", choices=["leases", "pipeline"], default=None)
    args = p.parse_args()
    cluster = start_cluster()
    if cluster is None:
        sys.exit("bench/scale.py needs PostgreSQL (Debian package postgresql)")
    host = FeedHost(args.feeds)
    await host.start()
    served = None
    try:
        print(f"{args.feeds} feeds (real-feeds cycled), {args.seconds:.0f}s per run, "
              f"max_polls {args.max_polls}, {os.cpu_count()} cores, "
              f"load {os.getloadavg()[0]:.1f}")  # fmt: skip
        served = serve_first(cluster) if any(args.cpu_budget) and not unavailable() else None
        for cores in args.cpu_budget if args.only != "pipeline" else ():
            if cores and unavailable():
                print(f"  no CPU budget of {cores} core per node: {unavailable()}")
                continue
            cap = f"each node capped at {cores:.2f} core" if cores else "no cap on the nodes"
            print(f"leases, fetch and parse ({cap}):")
            rows = []
            for n in (1, 2, 3):
                row = await throughput(cluster, host, n, args.seconds, args.max_polls,
                                       args.lease, cores)  # fmt: skip
                rows.append(row)
                base = rows[0]
                print(f"  {n} node{'s' * (n > 1)}: {row['polls_s']:6.1f} polls/s"
                      f" ({row['polls_s'] / base['polls_s']:.2f}x one node) {row['items_s']:6.0f}"
                      f" items/s  {row['cpu_ms_poll']:.1f} ms CPU/poll ({row['cpu_us_item']:.0f}"
                      f" us/item)  {row['node_cores']:.2f} core/node"
                      f" (throttled {100 * row['throttled']:.0f}% of periods)"
                      f"  PostgreSQL {row['db_cores']:.2f} core, {row['db_ms_poll']:.2f} ms/poll,"
                      f" {row['tx_poll']:.2f} tx/poll  load {os.getloadavg()[0]:.1f}")  # fmt: skip
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
        if served is not None:
            served.remove()


if __name__ == "__main__":
    asyncio.run(main())
