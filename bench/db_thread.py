"""Where the database thread's CPU goes in the ingest bench's first cycle: polls of 50 new
items (bench/store_cost.py --split has polls of one or two, from the UCI stream).

monitor's first cycle over the ingest bench's feeds (bench/ingest.py: real headlines and
summaries, its rules), in a process of its own, with the database thread's CPU per new item
split two ways, in thread CPU on that thread:

- by statement (as ``store_cost.py --split``: each statement the store sends, by its text,
  COMMIT with the writes sent with it);
- by the store's and the outbox's functions that run there inside ``together``, each as
  the SQL it sent and the Python around it (a function's figure includes the functions it
  calls; the SQL of the poll's own trips, the items' insert and COMMIT, is in none of them),
  and the stages' own glue around them (``Stages._write_rest`` and the steps it calls);
- all that runs inside ``together``, and what runs outside it: the transaction's own trips
  (BEGIN, the writes sent with the next trip, COMMIT with the checkpoints it starts) and
  aiosqlite's own work.

``--baseline REV`` runs commit REV's ``monitor`` too, rounds interleaved, in the same run.

    flock /tmp/bench.lock python bench/db_thread.py [--feeds 300] [--rounds 1] [--baseline REV]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent

# (module, attribute, label): what runs on the database thread inside ``together``. A name
# an older revision lacks is left out of its figures.
FUNCTIONS = [
    ("monitor.store.stories", "record", "stories.record"),
    ("monitor.store.stories", "read", "story_rows.read"),  # as stories.record called it
    ("monitor.store.stories", "read_feeds", "story_rows.read_feeds"),  # ... and called it later
    ("monitor.store.stories", "read_outlets", "story_rows.read_outlets"),  # ... and calls it now
    ("monitor.store.stories", "load_stories", "stories.load_stories"),
    ("monitor.store.events", "record", "events.record"),
    ("monitor.store.events", "load_events", "events.load_events"),
    ("monitor.store.matches", "record_many", "matches.record_many"),
    ("monitor.store.grown", "grown_alerts", "grown.grown_alerts"),
    ("monitor.stages", "on_matches", "outbox.on_matches"),
    ("monitor.stages", "on_grown", "outbox.on_grown"),
    # the outlets of the joined stories an alert shows, inside the two above
    ("monitor.outbox.enqueue", "fill_outlets", "fill_outlets in on_matches"),
    ("monitor.outbox.grow", "fill_outlets", "fill_outlets in on_grown"),
    ("monitor.store.items", "_insert_part", "items: the insert"),
    # the stages' glue around the store's and the outbox's functions, on that thread too
    ("monitor.stages", "Stages._write_rest", "Stages._write_rest"),
    ("monitor.stages", "Stages._record_matches", "Stages._record_matches"),
    ("monitor.stages", "Stages._queue_new", "Stages._queue_new"),
    ("monitor.stages", "Stages._update_grown", "Stages._update_grown"),
]


class Functions:
    """Thread CPU of each function of ``FUNCTIONS`` (outermost calls only), and of the SQL
    sent while it ran (``ThreadDb``'s statements)."""

    def __init__(self) -> None:
        import importlib

        from monitor.store import sqlitedb

        self.running: list[str] = []
        self.spent: dict[str, float] = defaultdict(float)
        self.sql: dict[str, float] = defaultdict(float)
        for name in ("execute", "execute_many", "fetch_all", "fetch_one", "fetch_val"):
            setattr(sqlitedb.ThreadDb, name, self._statement(getattr(sqlitedb.ThreadDb, name)))
        for module_name, attribute, label in FUNCTIONS:
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                continue
            owner_name, _, name = attribute.rpartition(".")
            owner = getattr(module, owner_name, None) if owner_name else module
            if owner is not None and hasattr(owner, name):
                setattr(owner, name, self._function(getattr(owner, name), label))
        # All that runs inside ``together``: the rest of the thread's CPU is the
        # transaction's own trips and aiosqlite's.
        self.together = 0.0
        run_sync = sqlitedb.run_sync

        def timed_run(work: Any) -> Any:
            start = time.thread_time()
            try:
                return run_sync(work)
            finally:
                self.together += time.thread_time() - start

        sqlitedb.run_sync = timed_run

    def _statement(self, method: Callable[..., Any]) -> Callable[..., Any]:
        async def timed(db: Any, *args: Any) -> Any:
            start = time.thread_time()
            try:
                return await method(db, *args)
            finally:
                spent = time.thread_time() - start
                for label in set(self.running):
                    self.sql[label] += spent

        return timed

    def _function(self, function: Callable[..., Any], label: str) -> Callable[..., Any]:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            self.running.append(label)
            start = time.thread_time()
            try:
                return await function(*args, **kwargs)
            finally:
                spent = time.thread_time() - start
                self.running.pop()
                if label not in self.running:
                    self.spent[label] += spent

        return timed


def child(code: str, port: int, feeds: int) -> dict[str, Any]:
    """One first cycle on the ``monitor`` under ``code``, split."""
    sys.path.insert(0, str(BENCH))
    import contenders
    import ingest
    from store_cost import Split

    sys.path.insert(0, code)  # before any import of monitor (contenders put this tree first)
    statements = Split()
    functions = Functions()
    urls = [f"http://127.0.0.1:{port}/f/{i}" for i in range(feeds)]
    rules = ingest.tracking_rules(ingest.common_words("real", feeds, 50))
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        (state / "config.toml").write_text(ingest.monitor_config(state, urls, rules))
        out = contenders.run_monitor("first", state, urls)
    items = out["items"]
    return {
        "items": items,
        "db_thread": out["threads"].get("database thread", 0.0) / items * 1e6,
        "together": functions.together / items * 1e6,
        "statements": {k: v / items * 1e6 for k, v in statements.spent.items()},
        "calls": dict(statements.calls),
        "functions": {
            k: (v / items * 1e6, functions.sql[k] / items * 1e6) for k, v in functions.spent.items()
        },
    }


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

    tmp = Path(tempfile.mkdtemp(prefix="db-thread-"))
    codes = {"this tree": REPO}
    if args.baseline:
        codes[args.baseline] = checkout(args.baseline, tmp / "baseline")
    parent, pipe = multiprocessing.Pipe()
    server = multiprocessing.Process(
        target=ingest.serve, args=(pipe, "real", args.feeds, 50), daemon=True
    )
    server.start()
    port = ingest.receive(parent, server, "the feed server")
    runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    try:
        for n in range(args.rounds):
            names = list(codes)
            for name in names[n % len(names) :] + names[: n % len(names)]:
                argv = [sys.executable, __file__, "--child", str(codes[name]), "--port",
                        str(port), "--feeds", str(args.feeds)]  # fmt: skip
                out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
                runs[name].append(json.loads(out.strip().splitlines()[-1]))
    finally:
        server.terminate()
        shutil.rmtree(tmp, ignore_errors=True)  # the baseline's checkout
    report(codes, runs, args)


def report(codes: dict[str, Path], runs: dict[str, list[dict[str, Any]]], args: Any) -> None:
    names = list(codes)

    def med(name: str, get: Callable[[dict[str, Any]], float]) -> float:
        return statistics.median(get(r) for r in runs[name])

    first = runs[names[0]][0]
    print(
        f"{first['items']:,} new items from {args.feeds} feeds, {args.rounds} round(s), medians;"
        f" database thread CPU per new item, us (load average {os.getloadavg()[0]:.2f})"
    )
    head = "".join(f"{n[:12]:>13}" for n in names)
    print(head + "  all of it")
    print("".join(f"{med(n, lambda r: r['db_thread']):13.1f}" for n in names))
    print(head + "  inside together / outside it (the transaction's trips: BEGIN, writes")
    print("".join(f"{med(n, lambda r: r['together']):13.1f}" for n in names) + "  sent later,")
    print(
        "".join(f"{med(n, lambda r: r['db_thread'] - r['together']):13.1f}" for n in names)
        + "  COMMIT and its checkpoints; aiosqlite)"
    )
    keys = dict.fromkeys(k for n in names for r in runs[n] for k in r["statements"])
    by = {n: {k: med(n, lambda r, k=k: r["statements"].get(k, 0.0)) for k in keys} for n in names}
    print(head + "  (calls)  by statement")
    for key in sorted(keys, key=lambda k: -max(by[n][k] for n in names)):
        if max(by[n][key] for n in names) >= 0.1:
            calls = "/".join(str(runs[n][0]["calls"].get(key, 0)) for n in names)
            print("".join(f"{by[n][key]:13.1f}" for n in names) + f"  ({calls}x) {key}")
    print("".join(f"{sum(by[n].values()):13.1f}" for n in names) + "  every statement")
    print(head + "  by function inside together: all = SQL + Python")
    labels = [label for _, _, label in FUNCTIONS]
    for label in labels:
        cells = []
        for n in names:
            if any(label in r["functions"] for r in runs[n]):
                spent = med(n, lambda r, k=label: r["functions"].get(k, (0.0, 0.0))[0])
                sql = med(n, lambda r, k=label: r["functions"].get(k, (0.0, 0.0))[1])
                cells.append(f"{spent:5.1f}={sql:4.1f}+{spent - sql:4.1f}".rjust(13))
            else:
                cells.append(f"{'-':>13}")
        print("".join(cells) + f"  {label}")


if __name__ == "__main__":
    main()
