"""What the threads of monitor's first cycle cost each other (issue #17): the GIL handed
between the event loop, the parse thread and the database thread.

CPython's sqlite3 releases the GIL around every ``sqlite3_step``: once per row of an
``executemany``, once per row fetched. Each release while another thread waits for the GIL
may hand it over, and the database thread then waits to take it back: futex calls, context
switches, kernel time. This bench runs monitor's first cycle over the ingest bench's feeds
(bench/ingest.py: real headlines and summaries, its rules), in a process of its own, and
prints per thread, per poll and per new item:

- CPU, user and kernel apart (``/proc/self/task/<tid>/stat``, clock ticks: coarse, read
  over a whole cycle);
- voluntary and involuntary context switches (``/proc/self/task/<tid>/status``), and the
  time the thread was runnable but waiting for a core (``schedstat``);
- the database thread's ``sqlite3_step`` calls (each a GIL release): statements run plus
  rows fetched, counted in ``ThreadDb`` and ``SqliteDb`` (one step per statement, one per
  row of an ``executemany``, one per row fetched);
- the process's CPU over the cycle (all threads).

``--switch S[,S...]`` runs this tree's cycle with ``sys.setswitchinterval(S)`` too, each
as a contender of its own (CPython's default is 0.005 s); ``--baseline REV`` runs commit
REV's ``monitor`` too; rounds interleaved, in the same run.

``--micro``: the handoffs alone, no monitor: a thread sends an ``UPDATE`` of 200 rows of a
small table 400 times, one row a step (``executemany``) or all in one statement
(``UPDATE ... FROM (VALUES ...)``), alone or beside a thread that works as an event loop
does (100 us of Python, then 30 us outside the GIL); each thread's CPU and switches, the
same run.

``--strace``: each run under ``strace -f -c -e trace=futex`` (its counts printed;
strace slows every call, so its run's CPU figures are not comparable and are left out).
``--perf FILE``: each run under ``perf record -g -e cpu-clock`` (to ``FILE.<tree>.<round>``),
for ``perf report --sort dso,sym``: the interpreter's GIL code (``take_gil``, ``drop_gil``)
and the kernel's futex and scheduler code as shares of the process's samples.

    flock /tmp/bench.lock python bench/gil.py [--feeds 300] [--rounds 2] [--baseline REV]
        [--switch S,...] [--strace | --perf FILE]
    python bench/gil.py --micro
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
TICK = os.sysconf("SC_CLK_TCK")


def _task(tid: int) -> dict[str, float]:
    """One thread's counters from /proc (seconds, counts)."""
    base = f"/proc/self/task/{tid}"
    with open(f"{base}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    with open(f"{base}/status") as f:
        status = dict(line.split(":", 1) for line in f if ":" in line)
    with open(f"{base}/schedstat") as f:
        run_ns, wait_ns, slices = (int(x) for x in f.read().split())
    return {
        "user": int(fields[11]) / TICK,
        "sys": int(fields[12]) / TICK,
        "cpu": run_ns / 1e9,
        "runnable_wait": wait_ns / 1e9,
        "slices": slices,
        "vcsw": int(status["voluntary_ctxt_switches"]),
        "ivcsw": int(status["nonvoluntary_ctxt_switches"]),
    }


def _role(t: threading.Thread) -> str:
    if t is threading.main_thread():
        return "event loop"
    if t.name.startswith("monitor-parse"):
        return "parse thread"
    if "_connection_worker_thread" in t.name:
        return "database thread"
    return "other"


class Snapshots:
    """Per-role /proc counters, taken each time ``contenders.thread_cpu`` is (before and
    after the first cycle's ``poll_all``)."""

    def __init__(self) -> None:
        self.taken: list[dict[str, dict[str, float]]] = []

    def take(self) -> None:
        roles: dict[str, dict[str, float]] = {}
        for t in threading.enumerate():
            if t.native_id is None:
                continue
            try:
                counters = _task(t.native_id)
            except OSError:
                continue
            into = roles.setdefault(_role(t), defaultdict(float))
            for key, value in counters.items():
                into[key] += value
        self.taken.append(roles)


class Steps:
    """The database thread's ``sqlite3_step`` calls: one per statement run, one more per
    row of an ``executemany`` after its first, one per row fetched (and the last, empty
    one of ``fetchall``)."""

    def __init__(self) -> None:
        from monitor.store import sqlitedb

        self.count = 0
        self.by: dict[str, int] = defaultdict(int)
        counter = self

        def add(sql: str, n: int) -> None:
            if counter.on:
                counter.count += n
                counter.by[" ".join(sql.split())[:60]] += n

        self.on = False
        for cls in (sqlitedb.ThreadDb, sqlitedb.SqliteDb):
            execute, many, fetch_all = cls.execute, cls.execute_many, cls.fetch_all
            fetch_one = cls.fetch_one

            async def c_execute(db: Any, sql: str, params: Any = (), _f: Any = execute) -> Any:
                add(sql, 1)
                return await _f(db, sql, params)

            async def c_many(db: Any, sql: str, rows: Any, _f: Any = many) -> Any:
                rows = list(rows)
                add(sql, len(rows))
                return await _f(db, sql, rows)

            async def c_all(db: Any, sql: str, params: Any = (), _f: Any = fetch_all) -> Any:
                out = await _f(db, sql, params)
                add(sql, len(out) + 1)
                return out

            async def c_one(db: Any, sql: str, params: Any = (), _f: Any = fetch_one) -> Any:
                add(sql, 1)
                return await _f(db, sql, params)

            cls.execute, cls.execute_many = c_execute, c_many  # type: ignore[method-assign]
            cls.fetch_all, cls.fetch_one = c_all, c_one  # type: ignore[method-assign]
        fetch_val = sqlitedb.ThreadDb.fetch_val

        async def c_val(db: Any, sql: str, params: Any = ()) -> Any:
            add(sql, 1)
            return await fetch_val(db, sql, params)

        sqlitedb.ThreadDb.fetch_val = c_val  # type: ignore[method-assign]


def child(code: str, port: int, feeds: int, switch: float | None) -> dict[str, Any]:
    """One first cycle on the ``monitor`` under ``code``, its threads' counters."""
    sys.path.insert(0, str(BENCH))
    import contenders
    import ingest

    sys.path.insert(0, code)  # before any import of monitor (contenders put this tree first)
    if switch is not None:
        sys.setswitchinterval(switch)
    snapshots = Snapshots()
    steps = Steps()
    thread_cpu = contenders.thread_cpu

    def snapped() -> dict[str, float]:
        snapshots.take()
        steps.on = len(snapshots.taken) == 1
        return thread_cpu()

    contenders.thread_cpu = snapped
    urls = [f"http://127.0.0.1:{port}/f/{i}" for i in range(feeds)]
    rules = ingest.tracking_rules(ingest.common_words("real", feeds, 50))
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        (state / "config.toml").write_text(ingest.monitor_config(state, urls, rules))
        out = contenders.run_monitor("first", state, urls)
    before, after = snapshots.taken[0], snapshots.taken[1]
    roles: dict[str, dict[str, float]] = {}
    for role, counters in after.items():
        was = before.get(role, {})
        roles[role] = {k: v - was.get(k, 0.0) for k, v in counters.items()}
    return {
        "items": out["items"],
        "polls": feeds,
        "cycle_cpu": out["cycle_cpu"],
        "roles": roles,
        "steps": steps.count,
        "steps_by": dict(steps.by),
    }


def _rusage() -> tuple[float, int, int]:
    """This thread's CPU (its own clock), voluntary and involuntary switches."""
    r = resource.getrusage(resource.RUSAGE_THREAD)
    return time.thread_time(), r.ru_nvcsw, r.ru_nivcsw


def micro(rows: int = 200, reps: int = 400) -> None:
    """See ``--micro`` in the docstring."""
    print(f"UPDATE of {rows} rows, {reps} times; a statement's figures, medians of 5 runs")
    print(
        "  how        busy thread  db: CPU us  switches vol/invol | busy thread a loop: CPU us, vol"
    )
    for mode in ("executemany", "one statement"):
        for busy in (False, True):
            runs = [_micro_run(mode, busy, rows, reps) for _ in range(5)]
            cells = [statistics.median(r[i] for r in runs) for i in range(5)]
            print(f"  {mode:14} {'yes' if busy else 'no ':3}  {cells[0]:10.1f}  {cells[1]:8.2f}"
                  f" {cells[2]:5.2f}      | {cells[3]:18.1f}  {cells[4]:5.2f}")  # fmt: skip


def _micro_run(mode: str, busy: bool, rows: int, reps: int) -> list[float]:
    conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INT)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?)", [(i, "x", 0) for i in range(rows)])
    data = [("y", i, i) for i in range(rows)]
    marks = ", ".join(["(?, ?, ?)"] * rows)
    one = (
        f"UPDATE t SET a = v.column1, b = v.column2 FROM (VALUES {marks}) AS v"
        " WHERE t.id = v.column3"
    )
    flat = [x for row in data for x in row]
    stop = threading.Event()
    other: list[float] = [0.0, 0.0, 0.0, 1.0]

    def loop() -> None:
        start, loops = _rusage(), 0
        while not stop.is_set():
            until = time.perf_counter() + 100e-6
            while time.perf_counter() < until:
                pass
            time.sleep(30e-6)
            loops += 1
        other[:] = [*(b - a for a, b in zip(start, _rusage(), strict=True)), loops]

    thread = threading.Thread(target=loop)
    if busy:
        thread.start()
        time.sleep(0.02)
    start = _rusage()
    for _ in range(reps):
        conn.execute("BEGIN")
        if mode == "executemany":
            conn.executemany("UPDATE t SET a = ?, b = ? WHERE id = ?", data)
        else:
            conn.execute(one, flat)
        conn.execute("COMMIT")
        time.sleep(0.0005)  # between trips, as the database thread waits for the next
    cpu, vol, invol = (b - a for a, b in zip(start, _rusage(), strict=True))
    stop.set()
    if busy:
        thread.join()
    conn.close()
    loops = other[3]
    return [cpu / reps * 1e6, vol / reps, invol / reps, other[0] / loops * 1e6, other[1] / loops]


_FUTEX = re.compile(r"^\s*[\d.]+\s+([\d.]+)\s+\d+\s+(\d+)\s+(\d*)\s*futex\s*$", re.M)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--feeds", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--baseline", metavar="REV", help="also run commit REV's monitor")
    parser.add_argument("--switch", help="this tree also with sys.setswitchinterval(S), S,...")
    parser.add_argument("--strace", action="store_true", help="futex calls, under strace")
    parser.add_argument("--perf", metavar="FILE", help="each run under perf record, to FILE.*")
    parser.add_argument("--micro", action="store_true", help="the handoffs alone, no monitor")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.micro:
        micro()
        return
    if args.child is not None:
        switch = None if args.switch is None else float(args.switch)
        print(json.dumps(child(args.child, args.port, args.feeds, switch)))
        return
    sys.path.insert(0, str(BENCH))
    import ingest
    from store_cost import checkout

    tmp = Path(tempfile.mkdtemp(prefix="gil-"))
    codes = {"this tree": REPO}
    switches: dict[str, str] = {}
    for switch in (args.switch or "").split(","):
        if switch:
            name = f"switch {float(switch) * 1e3:g}ms"
            codes[name], switches[name] = REPO, switch
    if args.baseline:
        codes[args.baseline] = checkout(args.baseline, tmp / "baseline")
    runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    try:
        with ingest.served(args.feeds) as port:
            for n, name in ingest.interleaved(list(codes), args.rounds):
                argv = [sys.executable, __file__, "--child", str(codes[name]), "--port",
                        str(port), "--feeds", str(args.feeds)]  # fmt: skip
                argv += ["--switch", switches[name]] if name in switches else []
                trace = tmp / "strace.txt"
                if args.strace:
                    argv = ["strace", "-f", "-c", "-e", "trace=futex", "-o", str(trace), *argv]
                elif args.perf:
                    record = f"{args.perf}.{name.replace(' ', '-')}.{n}"
                    argv = ["perf", "record", "-q", "-g", "-F", "2000", "-e", "cpu-clock", "-o",
                            record, "--", *argv]  # fmt: skip
                out = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
                result = json.loads(out.strip().splitlines()[-1])
                if args.strace:
                    found = _FUTEX.search(trace.read_text())
                    result["futex"] = int(found.group(2)) if found else 0
                    result["futex_errors"] = int(found.group(3) or 0) if found else 0
                runs[name].append(result)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # the baseline's checkout
    report(codes, runs, args)


def report(codes: dict[str, Path], runs: dict[str, list[dict[str, Any]]], args: Any) -> None:
    names = list(codes)

    def med(name: str, get: Callable[[dict[str, Any]], float]) -> float:
        return statistics.median(get(r) for r in runs[name])

    first = runs[names[0]][0]
    items, polls = first["items"], first["polls"]
    switch = sys.getswitchinterval()
    print(
        f"{items:,} new items from {polls} polls, {args.rounds} round(s), medians;"
        f" switch interval {switch * 1e3:g} ms unless named{', under strace' * args.strace}"
        f" (load average {os.getloadavg()[0]:.2f})"
    )
    head = "".join(f"{n[:12]:>13}" for n in names)
    if not args.strace:
        print(head + "  process CPU a new item, us")
        print("".join(f"{med(n, lambda r: r['cycle_cpu'] / r['items'] * 1e6):13.1f}"
                      for n in names))  # fmt: skip
    print(head + "  sqlite3_step calls (GIL releases) of the database thread a poll")
    print("".join(f"{med(n, lambda r: r['steps'] / r['polls']):13.1f}" for n in names))
    if args.strace:
        print(head + "  futex calls a poll (all threads; of which failed, EAGAIN/ETIMEDOUT)")
        print("".join(f"{med(n, lambda r: r['futex'] / r['polls']):13.1f}" for n in names))
        print("".join(f"{med(n, lambda r: r['futex_errors'] / r['polls']):13.1f}"
                      for n in names))  # fmt: skip
    roles = ["event loop", "parse thread", "database thread", "other"]
    rows = [
        ("CPU a new item, us (schedstat)", lambda c: c["cpu"] / items * 1e6),
        ("  of it user, us (ticks)", lambda c: c["user"] / items * 1e6),
        ("  of it kernel, us (ticks)", lambda c: c["sys"] / items * 1e6),
        ("voluntary switches a poll", lambda c: c["vcsw"] / polls),
        ("involuntary switches a poll", lambda c: c["ivcsw"] / polls),
        ("runnable, waiting for a core, us a poll", lambda c: c["runnable_wait"] / polls * 1e6),
    ]
    for role in roles:
        if not any(role in r["roles"] for n in names for r in runs[n]):
            continue
        print(head + f"  {role}")
        for label, get in rows:
            if args.strace and "us" in label:
                continue
            cells = "".join(
                f"{med(n, lambda r, g=get, o=role: g(r['roles'].get(o, defaultdict(float)))):13.1f}"
                for n in names
            )
            print(cells + f"  {label}")
    keys = dict.fromkeys(k for n in names for r in runs[n] for k in r["steps_by"])
    by = {n: {k: med(n, lambda r, k=k: r["steps_by"].get(k, 0) / r["polls"]) for k in keys}
          for n in names}  # fmt: skip
    print(head + "  sqlite3_step calls a poll, by statement")
    for key in sorted(keys, key=lambda k: -max(by[n][k] for n in names)):
        if max(by[n][key] for n in names) >= 1:
            print("".join(f"{by[n][key]:13.1f}" for n in names) + f"  {key}")


if __name__ == "__main__":
    main()
