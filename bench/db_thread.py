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
  aiosqlite's own work;
- the trips themselves: how many a poll's transaction makes, and the database thread's CPU
  per trip outside the work it carries (aiosqlite's queue, its wake-up, the future's
  result sent back to the event loop); COMMIT as its own writes (the median commit, times
  the commits) and the rest (the few commits that ran a checkpoint);
- with ``--frames``: the WAL frames (pages) each poll's COMMIT writes, by table or index,
  read from the WAL after each COMMIT (SQLite's dbstat names the pages at the end). Off by
  default: reading the WAL there adds to the database thread's figures above.

``--baseline REV`` runs commit REV's ``monitor`` too, rounds interleaved, in the same run: a
checkout of REV's package, pure Python. Where this tree runs compiled modules (``setup.py
build_ext --inplace``), give a directory instead, a worktree at the baseline built the same
way, so that both run the same modules compiled. An A/A run (identical code both sides)
tells this machine's spread before a figure is read as a saving.

    flock /tmp/bench.lock python bench/db_thread.py [--feeds 300] [--rounds 1]
        [--baseline REV|DIR] [--frames]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import struct
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


class Trips:
    """The trips of the polls' transactions to the database thread: how many, the thread's
    CPU inside each (the work it carries, as aiosqlite runs it), each COMMIT's CPU, and with
    ``wal`` the WAL frames each COMMIT appended (page numbers)."""

    def __init__(self, wal: Path | None) -> None:
        import threading

        from monitor.store import sqlitedb

        self.wal = wal
        self.transactions = 0
        self.in_transactions = 0  # trips of the transactions
        self.trips = 0  # every trip from the first transaction's first on
        self.inside = 0.0
        self.commits: list[float] = []
        self.frames: list[list[int]] = []
        self.log: tuple[bytes, int] | None = None  # the WAL's salts, and where its frames end
        self.clock: int | None = None
        self.thread_cpu = 0.0
        trip, commit = sqlitedb.SqliteDb._trip, sqlitedb.SqliteDb.commit
        trips = self

        async def counted_trip(db: Any, fn: Callable[[Any], Any]) -> Any:
            transaction = getattr(db, "_transaction", False)
            if trips.clock is None and not transaction:  # migrations, reads at start
                return await trip(db, fn)
            if transaction:
                trips.transactions += getattr(db, "_begin", False)
                trips.in_transactions += 1
            committing = getattr(db, "_bench_commit", False)
            trips.trips += 1

            def run(conn: Any) -> Any:
                start = time.thread_time()
                if trips.clock is None:  # counted from the first poll's first trip on
                    trips.clock = time.pthread_getcpuclockid(threading.get_ident())
                    trips.thread_cpu = -start
                try:
                    if not committing:
                        return fn(conn)
                    if trips.wal is not None and trips.log is None:  # where the log ends
                        trips.log = _wal_pages(trips.wal, None)[1:]
                    began = time.thread_time()
                    try:
                        return fn(conn)
                    finally:
                        trips.commits.append(time.thread_time() - began)
                        if trips.wal is not None:
                            pages, salts, end = _wal_pages(trips.wal, trips.log)
                            trips.frames.append(pages)
                            trips.log = (salts, end)
                finally:
                    trips.inside += time.thread_time() - start

            return await trip(db, run)

        async def marked_commit(db: Any) -> None:
            db._bench_commit = True
            try:
                await commit(db)
            finally:
                db._bench_commit = False

        sqlitedb.SqliteDb._trip = counted_trip  # type: ignore[method-assign]
        sqlitedb.SqliteDb.commit = marked_commit  # type: ignore[method-assign]

    def read_thread_cpu(self) -> None:
        """The database thread's CPU since the first poll's first trip (call while it runs:
        the store still open)."""
        if self.clock is not None and self.thread_cpu <= 0:
            self.thread_cpu += time.clock_gettime(self.clock)


# The WAL's header: 32 bytes (page size at 8, salts at 16); each frame: a 24-byte header
# (page number, database size after a commit or 0, the two salts) then the page
# (https://www.sqlite.org/fileformat2.html#walformat).
_WAL_HEADER, _FRAME_HEADER = 32, 24


def _wal_pages(wal: Path, last: tuple[bytes, int] | None) -> tuple[list[int], bytes, int]:
    """The pages of the frames appended since ``last`` (the salts, and where the log
    ended), the salts and where it ends now: from the WAL's start where a checkpoint let the
    writer start it over (the salts changed; the file keeps its size, so its end is read
    from the frames, not from the file)."""
    pages: list[int] = []
    if not wal.exists():
        return pages, b"", _WAL_HEADER
    with wal.open("rb") as f:
        header = f.read(_WAL_HEADER)
        if len(header) < _WAL_HEADER:
            return pages, b"", _WAL_HEADER
        page_size = struct.unpack(">I", header[8:12])[0]
        now = header[16:24]
        offset = last[1] if last is not None and last[0] == now else _WAL_HEADER
        while True:
            f.seek(offset)
            frame = f.read(_FRAME_HEADER)
            if len(frame) < _FRAME_HEADER or frame[8:16] != now:
                return pages, now, offset
            pages.append(struct.unpack(">I", frame[:4])[0])
            offset += _FRAME_HEADER + page_size


def _page_owners(db: Path) -> dict[int, str]:
    """Each page of the database file's b-trees by table or index name (SQLite's dbstat);
    empty where this SQLite has no dbstat."""
    try:
        with sqlite3.connect(db) as conn:
            return {int(page): str(name) for name, page in conn.execute(
                "SELECT name, pageno FROM dbstat")}  # fmt: skip
    except sqlite3.Error:
        return {}


def child(code: str, port: int, feeds: int, frames: bool = False) -> dict[str, Any]:
    """One first cycle on the ``monitor`` under ``code``, split."""
    sys.path.insert(0, str(BENCH))
    import contenders
    import ingest
    from store_cost import Split

    sys.path.insert(0, code)  # before any import of monitor (contenders put this tree first)
    trips = Trips(None)  # its commit patch first: Split times the COMMIT trip inside it
    statements = Split()
    functions = Functions()
    urls = [f"http://127.0.0.1:{port}/f/{i}" for i in range(feeds)]
    rules = ingest.tracking_rules(ingest.common_words("real", feeds, 50))
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        if frames:
            trips.wal = state / "bench.db-wal"  # ingest.monitor_config's database
        (state / "config.toml").write_text(ingest.monitor_config(state, urls, rules))
        _read_cpu_at_close(trips)
        out = contenders.run_monitor("first", state, urls)
        owners = _page_owners(state / "bench.db") if frames else {}
    items = out["items"]
    commits = sorted(trips.commits)
    typical = statistics.median(commits) * len(commits) if commits else 0.0
    by_btree: dict[str, float] = defaultdict(float)
    for pages in trips.frames:
        for page in pages:
            by_btree[owners.get(page, "?")] += 1 / len(trips.frames)
    return {
        "trips": trips.in_transactions / max(trips.transactions, 1),
        "per_trip": (trips.thread_cpu - trips.inside) / max(trips.trips, 1) * 1e6,
        "commit_own": typical / items * 1e6,
        "commit_rest": (sum(commits) - typical) / items * 1e6,
        "frames": {k: v for k, v in by_btree.items()},
        "frames_per_poll": statistics.mean(map(len, trips.frames)) if trips.frames else 0.0,
        "items": items,
        "db_thread": out["threads"].get("database thread", 0.0) / items * 1e6,
        "together": functions.together / items * 1e6,
        "statements": {k: v / items * 1e6 for k, v in statements.spent.items()},
        "calls": dict(statements.calls),
        "functions": {
            k: (v / items * 1e6, functions.sql[k] / items * 1e6) for k, v in functions.spent.items()
        },
    }


def _read_cpu_at_close(trips: Trips) -> None:
    """The database thread's CPU read as the store closes (the thread ends with it)."""
    import aiosqlite

    close = aiosqlite.Connection.close

    async def closing(conn: Any) -> None:
        trips.read_thread_cpu()
        await close(conn)

    aiosqlite.Connection.close = closing  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument(
        "--baseline",
        metavar="REV",
        help="also run commit REV's monitor (pure Python), or a tree's (a directory: a worktree"
        " at the baseline, its modules built as this tree's are)",
    )
    parser.add_argument(
        "--frames", action="store_true", help="the WAL frames of each COMMIT, by b-tree"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(child(args.child, args.port, args.feeds, args.frames)))
        return
    sys.path.insert(0, str(BENCH))
    import ingest
    from store_cost import checkout

    tmp = Path(tempfile.mkdtemp(prefix="db-thread-"))
    codes = {"this tree": REPO}
    if args.baseline and Path(args.baseline).is_dir():
        # A tree of its own (a worktree at the baseline, built as this one is): compiled
        # modules run like for like, where a checkout of REV runs pure Python.
        codes[args.baseline] = Path(args.baseline).resolve()
    elif args.baseline:
        codes[args.baseline] = checkout(args.baseline, tmp / "baseline")
    for name, code in codes.items():
        print(f"{name}: {len(list((code / 'monitor').rglob('*.so')))} compiled modules")
        # Bytecode written beforehand, as bench/ingest.py does: where PYTHONDONTWRITEBYTECODE
        # is set, a tree without it compiles its modules again in each run, which no
        # installed monitor does.
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(code / "monitor")],
                       check=True, capture_output=True)  # fmt: skip
    runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    try:
        with ingest.served(args.feeds) as port:
            for _, name in ingest.interleaved(list(codes), args.rounds):
                argv = [sys.executable, __file__, "--child", str(codes[name]), "--port",
                        str(port), "--feeds", str(args.feeds)] + ["--frames"] * args.frames  # fmt: skip
                out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
                runs[name].append(json.loads(out.strip().splitlines()[-1]))
    finally:
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
    print(head + "  trips to the database thread a poll's transaction makes")
    print("".join(f"{med(n, lambda r: r.get('trips', 0.0)):13.1f}" for n in names))
    print(head + "  its CPU a trip, us, outside the work the trip carries (aiosqlite)")
    print("".join(f"{med(n, lambda r: r.get('per_trip', 0.0)):13.1f}" for n in names))
    print(head + "  COMMIT: its own writes (the median commit, times the commits) /")
    print("".join(f"{med(n, lambda r: r.get('commit_own', 0.0)):13.1f}" for n in names)
          + "  the rest (the commits that ran a checkpoint)")  # fmt: skip
    print("".join(f"{med(n, lambda r: r.get('commit_rest', 0.0)):13.1f}" for n in names))
    if args.frames:
        print(head + "  WAL frames a poll's COMMIT writes (pages of 4 kB), by b-tree")
        print("".join(f"{med(n, lambda r: r['frames_per_poll']):13.1f}" for n in names))
        btrees = dict.fromkeys(k for n in names for r in runs[n] for k in r["frames"])
        frames = {n: {k: med(n, lambda r, k=k: r["frames"].get(k, 0.0)) for k in btrees}
                  for n in names}  # fmt: skip
        for key in sorted(btrees, key=lambda k: -max(frames[n][k] for n in names)):
            if max(frames[n][key] for n in names) >= 0.3:
                print("".join(f"{frames[n][key]:13.2f}" for n in names) + f"  {key}")
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
