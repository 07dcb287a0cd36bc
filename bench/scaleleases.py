"""bench/scale.py's lease part: the feed host that serves the real feeds, node processes
(tests/clusternode.py) started under an optional CPU budget (bench/cpubudget.py), and one
throughput run of N nodes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import defaultdict
from pathlib import Path

import asyncpg
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from cpubudget import CpuBudget, process_cpu, server_cpu, server_pids
from pgserver import Cluster

NODE = ROOT / "tests" / "clusternode.py"
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


async def node(dsn: str, host: FeedHost, interval: float, lease: float, max_polls: int,
                parse: bool = True, feeds: int = 0,
                budget: CpuBudget | None = None) -> asyncio.subprocess.Process:  # fmt: skip
    args = [str(NODE), dsn, host.base, str(feeds or host.count), str(interval), str(lease),
            str(min(1.0, lease / 4)), "--max-polls", str(max_polls)]  # fmt: skip
    if parse:
        args.append("--parse")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT / "tests")},
        preexec_fn=budget.enter if budget is not None else None,
    )  # fmt: skip
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    assert line.startswith(b"ready"), line
    return proc


async def stop(proc: asyncio.subprocess.Process) -> list[str]:
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
                     max_polls: int, lease: float, cores: float) -> dict[str, float]:  # fmt: skip
    """One run of ``nodes`` nodes, each capped at ``cores`` CPUs (0: no cap). CPU, polls and
    transactions are counted over the measured window only (not start-up or warm-up)."""
    dsn = cluster.create_database("scale")
    budgets = [CpuBudget(cores) if cores else None for _ in range(nodes)]
    procs = [await node(dsn, host, 0.0, lease, max_polls, budget=b) for b in budgets]
    try:
        await asyncio.sleep(3.0)  # warm up: connections, first batches
        before_requests, before_tx = host.total(), await _transactions(dsn)
        cpu0 = [process_cpu(p.pid) for p in procs]
        db0 = server_cpu(cluster.datadir)
        stat0 = [b.stat() if b else {} for b in budgets]
        started = time.monotonic()
        await asyncio.sleep(seconds)
        polls = host.total() - before_requests
        cpu = sum(process_cpu(p.pid) for p in procs) - sum(cpu0)
        db = server_cpu(cluster.datadir) - db0
        elapsed = time.monotonic() - started
        stat1 = [b.stat() if b else {} for b in budgets]
        tx = await _transactions(dsn) - before_tx
        stops = [await stop(p) for p in procs]
    finally:
        for b in budgets:
            if b is not None:
                b.remove()
    periods = sum(s1.get("nr_periods", 0) - s0.get("nr_periods", 0)
                  for s0, s1 in zip(stat0, stat1, strict=True))  # fmt: skip
    throttled = sum(s1.get("nr_throttled", 0) - s0.get("nr_throttled", 0)
                    for s0, s1 in zip(stat0, stat1, strict=True))  # fmt: skip
    total_polls = sum(int(s[2]) for s in stops if s)
    items = sum(int(s[3]) for s in stops if s)
    return {
        "nodes": nodes,
        "polls_s": polls / elapsed,
        "items_s": polls / elapsed * (items / max(1, total_polls)),
        "cpu_ms_poll": 1000 * cpu / max(1, polls),
        "cpu_us_item": 1e6 * cpu / max(1, polls * items / max(1, total_polls)),
        "node_cores": cpu / elapsed / nodes,
        "throttled": throttled / periods if periods else 0.0,
        "db_cores": db / elapsed,
        "db_ms_poll": 1000 * db / max(1, polls),
        "tx_poll": tx / max(1, polls),
    }


def serve_first(cluster: Cluster) -> CpuBudget:
    """PostgreSQL and this process (the feed server) in a group of their own, uncapped and
    weighted as the nodes are: the budgeted nodes must not wait for them behind the machine's
    other work either."""
    served = CpuBudget(0)
    served.enter()
    master, children = server_pids(cluster.datadir)
    for pid in [master, *children] if master else []:
        served.add(pid)  # backends started later are forked by the postmaster: they follow
    return served
