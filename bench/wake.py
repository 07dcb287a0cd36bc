"""Cross-node alert latency: the assigner and the sender on different `monitor run` nodes over
one PostgreSQL; seconds from the poll that brings a new story to its Telegram message (a
local stand-in). Baseline in the same run: ``[cluster] listen = false``, where the sender finds
new alerts at its idle check only.

    flock /tmp/bench.lock python bench/wake.py [--rounds 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from clusterwake import STORIES, cross_node_latencies
from feedserver import start_feed_server
from pgserver import start_cluster


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rounds", type=int, default=2, help=f"runs of {len(STORIES)} stories each")
    args = p.parse_args()
    cluster = start_cluster()
    if cluster is None:
        sys.exit("bench/wake.py needs PostgreSQL (Debian package postgresql)")
    try:
        print(f"{len(STORIES)} stories x {args.rounds} runs per setting, {os.cpu_count()} cores")
        for listen in (False, True):
            seconds: list[float] = []
            for _ in range(args.rounds):
                fs = await start_feed_server()
                try:
                    with tempfile.TemporaryDirectory(prefix="wake-") as tmp:
                        dsn = cluster.create_database("wake")
                        seconds += await cross_node_latencies(fs, dsn, Path(tmp), listen=listen)
                finally:
                    await fs.server.close()
            label = "LISTEN/NOTIFY" if listen else "idle check only (baseline)"
            print(f"  {label:<28} poll -> message p50 {statistics.median(seconds):.2f}s"
                  f"  max {max(seconds):.2f}s  (n={len(seconds)}, load {os.getloadavg()[0]:.1f})")  # fmt: skip
    finally:
        cluster.stop()


if __name__ == "__main__":
    asyncio.run(main())
