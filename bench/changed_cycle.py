"""Where a changed feed's poll goes: the ingest bench's changed cycle (bench/ingest.py: every
feed served 2 real headlines later, polled by the daemon that took the first cycle, its memory
of each feed's last body warm), split.

Each tree runs in a process of its own: the first cycle (not measured), then the changed cycle,
with its CPU per feed for the whole process and by thread (event loop, parse thread, database
thread), the trips to the database thread per poll (each a wake-up of that thread and of the
event loop), and the database thread's CPU by statement (as ``store_cost.py --split``: thread
CPU on that thread, COMMIT with the writes sent with it).

``--baseline REV`` runs commit REV's ``monitor`` too, rounds interleaved, in the same run.

    flock /tmp/bench.lock python bench/changed_cycle.py [--feeds 300] [--rounds 1] [--baseline REV]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
ADDED = 2  # new items a feed in the changed cycle (bench/ingest.py's default)


def child(code: str, port: int, feeds: int) -> dict[str, Any]:
    """The first cycle, then the changed one, of the ``monitor`` under ``code``."""
    import asyncio

    sys.path.insert(0, str(BENCH))
    import aiosqlite
    import contenders
    import ingest
    from store_cost import Split

    sys.path.insert(0, code)  # before any import of monitor (contenders put this tree first)

    import monitor
    from monitor import config as config_module
    from monitor.engine import Engine
    from monitor.oneshot import poll_all

    assert Path(monitor.__file__).parent.parent == Path(code), monitor.__file__
    statements = Split()
    trips = [0]
    execute = aiosqlite.Connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips[0] += 1
        return await execute(self, fn, *args, **kwargs)

    aiosqlite.Connection._execute = counted  # type: ignore[method-assign]
    urls = [f"http://127.0.0.1:{port}/f/{i}" for i in range(feeds)]
    rules = ingest.tracking_rules(ingest.common_words("real", feeds, 50))

    async def cycles(state: Path) -> dict[str, Any]:
        (state / "config.toml").write_text(ingest.monitor_config(state, urls, rules))
        from realfeeds import news_of_any_age

        config = config_module.loads(news_of_any_age((state / "config.toml").read_text()), base_dir=state)
        engine = await Engine.open(config, lazy_window=True)
        try:
            await poll_all(engine.rt, progress=False)
            await asyncio.to_thread(ingest.serve_version, urls, 1)
            statements.spent.clear()
            statements.calls.clear()
            trips[0] = 0
            before = contenders.thread_cpu()
            started = time.process_time()
            outcomes = await poll_all(engine.rt, progress=False)
            spent = time.process_time() - started
            threads = {r: s - before.get(r, 0.0) for r, s in contenders.thread_cpu().items()}
        finally:
            await engine.close()
        return {
            "new": sum(o.new_items for o in outcomes),
            "errors": [o.error for o in outcomes if o.error][:3],
            "cpu": spent / feeds * 1e6,
            "threads": {r: s / feeds * 1e6 for r, s in threads.items()},
            "trips": trips[0] / feeds,
            "statements": {k: v / feeds * 1e6 for k, v in statements.spent.items()},
            "calls": {k: v / feeds for k, v in statements.calls.items()},
        }

    ingest.serve_version(urls, 0)
    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(cycles(Path(tmp)))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--baseline", metavar="REV", help="also run commit REV's monitor")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.port, args.feeds)))
        return
    sys.path.insert(0, str(BENCH))
    import ingest
    from store_cost import checkout

    tmp = Path(tempfile.mkdtemp(prefix="changed-cycle-"))
    codes = {"this tree": REPO}
    if args.baseline:
        codes[args.baseline] = checkout(args.baseline, tmp / "baseline")
    runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with ingest.served(args.feeds, ADDED) as port:
        for _, name in ingest.interleaved(list(codes), args.rounds):
            argv = [sys.executable, __file__, "--child", str(codes[name]), "--port",
                    str(port), "--feeds", str(args.feeds)]  # fmt: skip
            out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
            runs[name].append(json.loads(out.strip().splitlines()[-1]))
    report(runs, args.feeds)


def report(runs: dict[str, list[dict[str, Any]]], feeds: int) -> None:
    def med(name: str, get: Any) -> float:
        return statistics.median(get(run) for run in runs[name])

    names = list(runs)
    print(f"changed cycle: {feeds} feeds x 50 items, {ADDED} new a feed; medians of"
          f" {len(runs[names[0]])} round(s); us of CPU per feed (per poll)")  # fmt: skip
    print("| | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    rows: list[tuple[str, Any]] = [
        ("whole process", lambda r: r["cpu"]),
        ("event loop", lambda r: r["threads"].get("event loop", 0.0)),
        ("parse thread", lambda r: r["threads"].get("parse thread", 0.0)),
        ("database thread", lambda r: r["threads"].get("database thread", 0.0)),
        ("database trips per poll", lambda r: r["trips"]),
        ("statements sent, on the database thread", lambda r: sum(r["statements"].values())),
    ]
    for label, get in rows:
        print(f"| {label} | " + " | ".join(f"{med(n, get):.1f}" for n in names) + " |")
    for name in names:
        new = [run["new"] for run in runs[name]]
        errors = [e for run in runs[name] for e in run["errors"]]
        print(f"{name}: {new} new items; errors: {errors[:3]}")
    print("database thread by statement, us per feed (calls per feed):")
    keys = sorted({k for n in names for run in runs[n] for k in run["statements"]},
                  key=lambda k: -med(names[0], lambda r: r["statements"].get(k, 0.0)))  # fmt: skip
    for key in keys:
        cells = [
            f"{med(n, lambda r, k=key: r['statements'].get(k, 0.0)):6.1f}"
            f" ({med(n, lambda r, k=key: r['calls'].get(k, 0.0)):.2f})"
            for n in names
        ]
        print("  " + "  ".join(cells) + f"  {key}")
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(f"load average (1, 5, 15 min): {', '.join(load)}")


if __name__ == "__main__":
    main()
