"""Store cost per item and round trips per poll, SQLite against PostgreSQL, in the same run.

The UCI News Aggregator slice (6,366 real headlines from 1,948 publishers over 36 hours) is
cut into polls as the daemon would see them: one feed per publisher, a poll per publisher and
10-minute slot with the items published in it. Each poll is what the pipeline does with new
items, in one transaction: the new items (``insert_new``), then ``Stages.process`` (their
stories and events, decided by the real indexes; the rules they match, ingest.py's 40 topic
rules and the example config's, recorded; the alerts those queue in the outbox, and the
updates of grown ones), then the feed's state. Then every feed answers 304 once: the states
written in batches (``StateWrites``). ``--no-rules``: stories and events only.

Figures: items stored per second (wall, the stories and events decided in memory included),
the part of it spent in the store (waiting for the database and its driver), CPU per item
(this process: the driver, our code, and SQLite itself), the server's CPU per item
(PostgreSQL's processes, from /proc; a throwaway cluster only), round trips per poll with new
items and per 304 poll (every statement sent, BEGIN and COMMIT included; a 304 poll's from the
batch it is written in), and what one trip costs alone (``SELECT 1`` in a transaction, wall).
PostgreSQL is a throwaway local cluster over loopback (tests/pgserver.py: Debian's binaries,
fsync and synchronous_commit off, as the tests run it), or ``--pg URL`` of an empty database
(emptied before each run). SQLite runs as the daemon opens it (WAL, synchronous=NORMAL: no
fsync at commit either).

``--split``: SQLite runs of this tree (and of ``--baseline``, in the same run), and where the
database thread's CPU goes (thread CPU per item, medians of ``--rounds``): each statement the store sends (inside ``together`` and alone, by its text),
COMMIT, and the rest (the Python run on that thread: the store's rows built, payloads encoded
and decoded, the stages' and the outbox's code that ``together`` runs there; BEGIN and the
writes sent with a trip).

``--rev REV`` measures commit REV's store instead of this tree's; ``--baseline REV`` measures
commit REV's too, in the same run (its ``monitor`` package from git, each run in a process of
its own, rounds interleaved), so a change is measured against what it replaces under the
same load.

    flock /tmp/bench.lock python bench/store_cost.py [--rounds 3] [--pg URL] [--baseline main]
                                                     [--no-rules] [--polls N] [--split]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
UCI = REPO.parent / "shared" / "data" / "uci-news-2014-03"
SLOT = 600.0
KEYS = [
    "items_per_s",
    "wall_us_per_item",
    "store_us_per_item",
    "cpu_us_per_item",
    "server_cpu_us_per_item",
    "trips_per_poll",
    "us_per_trip",
    "trips_per_304_poll",
    "us_per_304_poll",
]


class Counting:
    """A ``Db`` that counts the statements sent through it (each one a round trip)."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.dialect = db.dialect
        self.trips = 0
        self.wall = 0.0  # seconds spent waiting for the database (and in its driver)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.db, name)
        if name == "stream":
            return method  # the window's rebuild, not a poll's

        async def counted(*args: Any, **kwargs: Any) -> Any:
            # PostgreSQL hands ids out of a block it refills now and then: those refills are
            # its trips (counted from the store's IdBlocks), not each call. SQLite reads a
            # table's highest id once, then numbers from memory (older stores: every time).
            if name == "execute_later" and self.dialect == "sqlite":
                pass  # sent with the transaction's next trip
            elif name not in ("reserve_ids", "give_back"):  # ids given back: no trip
                self.trips += 1
            elif self.dialect == "sqlite":
                self.trips += args[0] not in getattr(self.db, "_next_id", ())
            started = time.perf_counter()
            try:
                return await method(*args, **kwargs)
            finally:
                self.wall += time.perf_counter() - started

        return counted

    async def together(self, work: Any) -> Any:
        if self.dialect == "postgresql":
            return await work(self)  # each statement its own trip to the server, counted
        self.trips += 1  # SQLite: the whole of ``work`` in one trip to its thread
        started = time.perf_counter()
        try:
            return await self.db.together(work)
        finally:
            self.wall += time.perf_counter() - started


def folds_begin(db: Any) -> bool:
    """SQLite's BEGIN goes with the transaction's first statement (as of db3's store)."""
    return db.dialect == "sqlite" and hasattr(db, "execute_later")


def load_polls() -> tuple[list[str], list[tuple[str, list[Any]]], list[str]]:
    """The feeds, the polls (feed, items) in time order, and the headlines' 100 commonest
    words of four letters or more (what ingest.py's topic rules are made of)."""
    from monitor.models import Item

    path = next(UCI.glob("*.csv"))
    by_poll: dict[tuple[str, int], list[Item]] = defaultdict(list)
    words: Counter[str] = Counter()
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            ts = int(row["TIMESTAMP"]) / 1000
            when = datetime.fromtimestamp(ts, UTC)
            feed = f"https://{row['HOSTNAME']}/rss"
            item = Item(key=row["URL"], title=row["TITLE"], summary="", url=row["URL"],
                        canonical_url=row["URL"], guid=None, published=when, first_seen=when)  # fmt: skip
            by_poll[(feed, int(ts // SLOT))].append(item)
            words.update(re.findall(r"[a-z]{4,}", row["TITLE"].lower()))
    polls = sorted(by_poll.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    feeds = sorted({feed for feed, _ in by_poll})
    common = [w for w, _ in words.most_common(100)]
    return feeds, [(feed, items) for (feed, _), items in polls], common


def bench_config(common: list[str], rules: bool) -> Any:
    from ingest import tracking_rules

    from monitor import config as config_module

    lines = ["[monitor]", 'database = "unused.db"']
    lines += tracking_rules(common) if rules else []
    return config_module.loads("\n".join(lines) + "\n")


def server_cpu(postmaster: int | None) -> float:
    """CPU seconds of the PostgreSQL server so far: its postmaster and every child (the
    backends of the store's pool, the WAL writer, the checkpointer...)."""
    if postmaster is None:
        return 0.0
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if int(entry) == postmaster or int(fields[1]) == postmaster:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


class Split:
    """Thread CPU of each statement the store sends to SQLite, by its text: inside
    ``together`` (``ThreadDb``) and each trip of its own (``SqliteDb``), timed on the
    database thread itself."""

    def __init__(self) -> None:
        from monitor.store import sqlitedb

        self.spent: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        for name in ("execute", "execute_many", "fetch_all", "fetch_one", "fetch_val"):
            setattr(sqlitedb.ThreadDb, name, self._thread_db(getattr(sqlitedb.ThreadDb, name)))
        for name in ("execute", "execute_many", "fetch_all", "fetch_one"):  # fetch_val: one
            setattr(sqlitedb.SqliteDb, name, self._own_trip(getattr(sqlitedb.SqliteDb, name)))
        commit = self._own_trip(sqlitedb.SqliteDb.commit, "COMMIT")
        sqlitedb.SqliteDb.commit = commit  # type: ignore[method-assign]

    def _add(self, sql: str, spent: float) -> None:
        key = " ".join(sql.split())[:70]
        self.spent[key] += spent
        self.calls[key] += 1

    def _thread_db(self, method: Any) -> Any:
        async def timed(db: Any, sql: str, params: Any = ()) -> Any:
            start = time.thread_time()
            try:
                return await method(db, sql, params)
            finally:
                self._add(sql, time.thread_time() - start)

        return timed

    def _own_trip(self, method: Any, label: str | None = None) -> Any:
        async def timed(db: Any, *args: Any) -> Any:
            sql = label or args[0]
            trip = db._trip

            async def timed_trip(fn: Any) -> Any:
                def run(conn: Any) -> Any:
                    start = time.thread_time()
                    try:
                        return fn(conn)
                    finally:
                        self._add(sql, time.thread_time() - start)

                return await trip(run)

            db._trip = timed_trip  # this call's trip only
            try:
                return await method(db, *args)
            finally:
                del db._trip

        return timed


def database_thread_cpu() -> float:
    """CPU seconds of aiosqlite's thread (one connection: the store's)."""
    import threading

    for thread in threading.enumerate():
        if "_connection_worker_thread" in thread.name and thread.ident is not None:
            return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
    return 0.0


async def run(
    location: str, rules: bool, limit: int | None, postmaster: int | None, split: bool = False
) -> dict[str, Any]:
    from monitor.models import StoredItem
    from monitor.stages import Stages
    from monitor.store import Store
    from monitor.store import feeds as feed_store
    from monitor.store import items as item_store
    from monitor.store.feeds import StateWrites

    feeds, polls, common = load_polls()
    polls = polls[:limit]
    config = bench_config(common, rules)
    store = await Store.open(location)
    try:
        async with store.transaction() as db:
            states = await feed_store.sync_feeds(db, feeds)
        stages = await Stages.build(config, store)
        items = trips = 0
        refills = getattr(getattr(store, "ids", None), "fetches", 0)
        in_db = 0.0
        splitter = Split() if split else None
        thread_cpu = database_thread_cpu()
        wall, cpu, served = time.perf_counter(), time.process_time(), server_cpu(postmaster)
        for feed, entries in polls:
            state = states[feed]
            now = max(i.first_seen for i in entries).timestamp()
            began = time.perf_counter()
            async with store.transaction() as tx:
                db = Counting(tx)
                opened = time.perf_counter()
                new = await item_store.insert_new(db, state.id, entries)
                stored = [StoredItem(i, state.id, feed, (), item, feed) for i, item in new]
                if stored:
                    await stages.process(db, stored, now)
                state.last_checked = now
                await feed_store.save_state(db, state)
                closing = time.perf_counter()
            # BEGIN and COMMIT: the transaction's way in and out (SQLite sends BEGIN with
            # the first statement, where the store has ``execute_later``).
            in_db += db.wall + (opened - began) + (time.perf_counter() - closing)
            trips += db.trips + 2 - folds_begin(tx)
            items += len(stored)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        thread_cpu = database_thread_cpu() - thread_cpu
        statements = {} if splitter is None else {
            sql: spent / items * 1e6 for sql, spent in splitter.spent.most_common()
        }  # fmt: skip
        calls = {} if splitter is None else dict(splitter.calls)
        served = server_cpu(postmaster) - served
        # What one trip costs by itself: the smallest statement, inside a transaction.
        async with store.transaction() as db:
            trip = time.perf_counter()
            for _ in range(500):
                await db.fetch_val("SELECT 1")
            trip = (time.perf_counter() - trip) / 500
        trips += getattr(getattr(store, "ids", None), "fetches", 0) - refills
        matches = await store.db.fetch_val("SELECT COUNT(*) FROM matches")
        alerts = await store.db.fetch_val("SELECT COUNT(*) FROM alerts")
        # Every feed answers 304: only its state changes, written many feeds a transaction.
        writes = StateWrites(store)
        quiet_wall = time.perf_counter()
        for state in states.values():
            state.last_status = 304
            writes.add(state)
        await writes.close()
        quiet_wall = time.perf_counter() - quiet_wall
        batches = -(-len(states) // writes.batch)
        return {
            "items": items,
            "polls": len(polls),
            "matches": int(matches),
            "alerts": int(alerts),
            "items_per_s": items / wall,
            "cpu_us_per_item": cpu / items * 1e6,
            "server_cpu_us_per_item": served / items * 1e6,
            "us_per_trip": trip * 1e6,
            "wall_us_per_item": wall / items * 1e6,
            "store_us_per_item": in_db / items * 1e6,
            "trips_per_poll": trips / len(polls),
            # BEGIN, one statement, COMMIT (the statement with BEGIN where that is folded)
            "trips_per_304_poll": (3 - folds_begin(store.db)) * batches / len(states),
            "us_per_304_poll": quiet_wall / len(states) * 1e6,
            "db_thread_us_per_item": thread_cpu / items * 1e6,
            "statements": statements,
            "calls": calls,
        }
    finally:
        await store.close()


def checkout(rev: str, into: Path) -> Path:
    """The ``monitor`` package of commit ``rev``, unpacked under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", rev, "monitor"], check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


async def empty(url: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()


def one_run(
    code: Path, location: str, args: argparse.Namespace, postmaster: int | None
) -> dict[str, Any]:
    """A run in a process of its own, on the ``monitor`` package under ``code``."""
    argv = [sys.executable, __file__, "--child", location, "--code", str(code)]
    argv += [] if postmaster is None else ["--postmaster", str(postmaster)]
    argv += ["--no-rules"] if args.no_rules else []
    argv += [] if args.polls is None else ["--polls", str(args.polls)]
    argv += ["--split"] if args.split else []
    out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def print_split(args: argparse.Namespace) -> None:
    """SQLite runs of this tree (and of ``--baseline``, interleaved in the same run): the
    database thread's CPU per item, by statement; medians of ``--rounds``."""
    tmp = Path(tempfile.mkdtemp(prefix="store-cost-"))
    codes = {"this tree": REPO}
    if args.baseline:
        codes[args.baseline] = checkout(args.baseline, tmp / "baseline")
    runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for n in range(args.rounds):
        names = list(codes)
        for name in names[n % len(names) :] + names[: n % len(names)]:
            location = str(tmp / f"split{n}-{names.index(name)}.db")
            runs[name].append(one_run(codes[name], location, args, None))
    shutil.rmtree(tmp, ignore_errors=True)
    first = runs["this tree"][0]
    print(
        f"{first['items']:,} new items in {first['polls']:,} polls, {args.rounds} round(s);"
        f" database thread CPU per item, median (load average {os.getloadavg()[0]:.2f})"
    )
    totals = {name: _median(rs, "db_thread_us_per_item") for name, rs in runs.items()}
    print("".join(f"{name[:12]:>13}" for name in codes) + "  (calls)  statement")
    print("".join(f"{totals[name]:13.1f}" for name in codes) + "  all of it")
    keys = dict.fromkeys(k for rs in runs.values() for r in rs for k in r["statements"])
    split = {
        name: {k: statistics.median(r["statements"].get(k, 0.0) for r in rs) for k in keys}
        for name, rs in runs.items()
    }
    for key in sorted(keys, key=lambda k: -max(split[n][k] for n in codes)):
        if max(split[n][key] for n in codes) >= 0.05:
            calls = "/".join(str(runs[n][0]["calls"].get(key, 0)) for n in codes)
            print("".join(f"{split[n][key]:13.1f}" for n in codes) + f"  ({calls}x) {key}")
    rest = {n: totals[n] - sum(split[n].values()) for n in codes}
    print(
        "".join(f"{rest[n]:13.1f}" for n in codes) + "  the rest: the Python of the store,"
        " the stages and the outbox run there, and BEGIN and the writes sent with a trip"
    )


def _median(rows: Iterable[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--pg", metavar="URL", help="a database to use (default: a throwaway cluster)"
    )
    parser.add_argument("--baseline", metavar="REV", help="also run commit REV's store")
    parser.add_argument("--rev", help="run commit REV's store instead of this tree's")
    parser.add_argument("--no-rules", action="store_true", help="stories and events only")
    parser.add_argument("--polls", type=int, help="only the first N polls (a quick try)")
    parser.add_argument(
        "--split", action="store_true", help="where SQLite's database thread spends its CPU"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--code", help=argparse.SUPPRESS)
    parser.add_argument("--postmaster", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(BENCH))
    if args.child is not None:
        sys.path.insert(0, str(REPO / "tests"))
        sys.path.insert(0, args.code)  # before any import of monitor
        print(
            json.dumps(
                asyncio.run(
                    run(args.child, not args.no_rules, args.polls, args.postmaster, args.split)
                )
            )
        )
        return
    if args.split:
        print_split(args)
        return
    sys.path.insert(0, str(REPO / "tests"))
    tmp = Path(tempfile.mkdtemp(prefix="store-cost-"))
    codes = {"this tree": REPO} if args.rev is None else {args.rev: checkout(args.rev, tmp / "rev")}
    if args.baseline:
        codes[args.baseline] = checkout(args.baseline, tmp / "baseline")
    cluster = None
    if args.pg is None:
        from pgserver import start_cluster

        cluster = start_cluster()
        if cluster is None:
            sys.exit("no PostgreSQL here: install Debian's postgresql, or pass --pg URL")
    results: dict[tuple[str, str], list[dict[str, float]]] = defaultdict(list)
    runs = [(code, backend) for code in codes for backend in ("sqlite", "postgresql")]
    try:
        for n in range(args.rounds):
            for code, backend in runs[n % len(runs) :] + runs[: n % len(runs)]:
                if backend == "sqlite":
                    location = str(tmp / f"bench{n}-{len(results[code, backend])}.db")
                elif cluster is not None:
                    location = cluster.create_database("bench")
                else:
                    location = args.pg
                    asyncio.run(empty(location))
                postmaster = None
                if backend == "postgresql" and cluster is not None:
                    pid_file = cluster.datadir / "postmaster.pid"
                    postmaster = int(pid_file.read_text().split()[0])
                results[code, backend].append(one_run(codes[code], location, args, postmaster))
                for name in os.listdir(tmp):
                    if name.startswith("bench"):
                        os.unlink(tmp / name)
    finally:
        if cluster is not None:
            cluster.stop()
    first = results[runs[0]][0]
    print(
        f"{first['items']:,.0f} new items in {first['polls']:,.0f} polls;"
        f" {first['matches']:,.0f} matches, {first['alerts']:,.0f} alerts queued"
    )
    print(f"median of {args.rounds} rounds (interleaved); load average {os.getloadavg()[0]:.2f}")
    print(f"{'':24}" + "".join(f"{k:>19}" for k in KEYS))
    for (code, backend), rows in results.items():
        print(f"{code + ' ' + backend:24}" + "".join(f"{_median(rows, k):>19.3g}" for k in KEYS))
    for code in codes:
        sq, pg = results[code, "sqlite"], results[code, "postgresql"]
        ratios = [
            _median(pg, k) / _median(sq, k)
            for k in ("wall_us_per_item", "store_us_per_item", "cpu_us_per_item")
        ]
        print(
            f"{code}: PostgreSQL / SQLite per-item cost: whole poll {ratios[0]:.2f}x, its store"
            f" part {ratios[1]:.2f}x, client CPU {ratios[2]:.2f}x (goal <= 1.5x)"
        )


if __name__ == "__main__":
    main()
