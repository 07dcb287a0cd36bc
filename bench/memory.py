"""Where monitor's peak RSS goes: its first cycle on the ingest bench's feeds (real headlines,
the same rules), run as bench/contenders.py runs it, with the process's memory read as it goes.

Prints the resident memory after each step and its highest by hundred polls (when the peak
comes), then what it is made of at the peak: pages mapped from files (shared with another
process, or its own), glibc's heap (in use, free) and its mapped blocks, Python's small
objects (pymalloc's arenas, used and free) and the rest; and the largest mappings. With
``--trace``, what the cycle left alive, by module and by line (tracemalloc: the window's
bytes per new item), in a second run (tracing doubles the memory it measures and slows
everything: its peak says nothing).

    python bench/memory.py [--feeds 1000] [--items 50] [--trace [--lines 15]] [--restart]
                           [--at POLL,...] [--code DIR ...]

``--at 1,100,500``: the same composition read after those polls too, beside the engine open
and the cycle's end (where the memory comes: a first poll's one-time costs, the window's
growth, what is in flight).

``--restart``: then, in a fresh interpreter, what ``monitor run`` does at start on the store
the cycle left (the story window rebuilt from it: the bulk load), and a second cycle.

``--code``: the checkouts whose ``monitor`` runs, one after the other on the same feeds (this
one by default): a baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import math
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

from contenders import rss_mb
from ingest import common_words, monitor_config, receive, serve, tracking_rules

_M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h), as monitor.interpreter sets it


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]  # fmt: skip


def smaps() -> tuple[dict[str, float], dict[str, float]]:
    """MB resident by kind (smaps_rollup's fields) and by mapping (its file, or [heap],
    [anon]...)."""
    kinds: dict[str, float] = {}
    mappings: dict[str, float] = {}
    name = ""
    with open("/proc/self/smaps") as f:
        for line in f:
            fields = line.split()
            if "-" in fields[0] and not fields[0].endswith(":"):
                name = fields[5] if len(fields) > 5 else "[anon]"
            elif fields[0].endswith(":") and fields[-1] == "kB":
                kinds[fields[0][:-1]] = kinds.get(fields[0][:-1], 0.0) + int(fields[1]) / 1024
                if fields[0] == "Rss:":
                    mappings[name] = mappings.get(name, 0.0) + int(fields[1]) / 1024
    return kinds, mappings


def rollup() -> dict[str, float]:
    """MB by kind from /proc/self/smaps_rollup (Pss_File and Pss_Anon are only there)."""
    kinds: dict[str, float] = {}
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            key, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                kinds[key] = int(value.split()[0]) / 1024
    return kinds


def pymalloc() -> dict[str, float]:
    """Python's small-object allocator: MB of arenas, and of blocks in use in them."""
    read, write = os.pipe()
    saved = os.dup(2)
    os.dup2(write, 2)
    try:
        sys._debugmallocstats()
    finally:
        os.dup2(saved, 2)
        os.close(write)
    text = b""
    while chunk := os.read(read, 1 << 16):
        text += chunk
    os.close(read)
    stats = {}
    for line in text.decode().splitlines():
        key, _, value = line.partition("=")
        if key.startswith("# arenas allocated current"):
            stats["arenas"] = int(value.replace(",", "")) * 1.0  # of 1 MB each (3.10 on)
        elif key.startswith("# bytes in allocated blocks"):
            stats["in use"] = int(value.replace(",", "")) / 2**20
    return stats


def malloc_heaps() -> int:
    """glibc's arenas now (``malloc_info``'s heaps: the main one, and one for each thread
    that got an arena of its own)."""
    libc = ctypes.CDLL(None)
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    with tempfile.NamedTemporaryFile(suffix=".xml") as out:
        stream = libc.fopen(out.name.encode(), b"w")
        libc.malloc_info(0, stream)
        libc.fclose(stream)
        return Path(out.name).read_text().count("<heap nr=")


def sqlite_memory() -> tuple[float, float]:
    """MB SQLite's allocator holds now, and at most since the process started
    (``sqlite3_memory_used``/``_highwater``: page caches, prepared statements, schema)."""
    try:
        lib = ctypes.CDLL("libsqlite3.so.0")
    except OSError:
        return math.nan, math.nan
    for name in ("sqlite3_memory_used", "sqlite3_memory_highwater"):
        getattr(lib, name).restype = ctypes.c_int64
    lib.sqlite3_memory_highwater.argtypes = [ctypes.c_int]
    return lib.sqlite3_memory_used() / 2**20, lib.sqlite3_memory_highwater(0) / 2**20


def composition() -> dict[str, float]:
    kinds, _ = smaps()
    rolled = rollup()
    info_call = ctypes.CDLL(None).mallinfo2
    info_call.restype = MallInfo2
    info = info_call()
    small = pymalloc()
    anon = kinds.get("Anonymous", 0.0)
    heap_mapped = info.hblkhd / 2**20
    return {
        "Rss (smaps_rollup)": rolled.get("Rss", 0.0),
        "Anonymous (smaps_rollup)": rolled.get("Anonymous", 0.0),
        "Pss_File (smaps_rollup)": rolled.get("Pss_File", 0.0),
        "files, shared with other processes": kinds.get("Shared_Clean", 0.0),
        "files, this process's own": kinds.get("Rss", 0.0) - anon - kinds.get("Shared_Clean", 0.0),
        "malloc in use (heap)": info.uordblks / 2**20,
        "malloc free (heap; part of it not resident)": info.fordblks / 2**20,
        "malloc's mapped blocks (>= 1 MB)": heap_mapped,
        "pymalloc arenas": small.get("arenas", 0.0),
        "  of which blocks in use": small.get("in use", 0.0),
        "anonymous, all": anon,
        "malloc arenas (count)": float(malloc_heaps()),
        "SQLite's allocator (in malloc's heap)": sqlite_memory()[0],
        "  the most it held": sqlite_memory()[1],
    }


def run(
    state: Path, trace: bool, code: Path, lines: int = 15, at: frozenset[int] = frozenset()
) -> None:
    """In a fresh interpreter: config, engine, one cycle, as bench/contenders.py runs them,
    with ``code``'s ``monitor``."""
    sys.path.insert(0, str(code))
    if trace:
        import tracemalloc

        tracemalloc.start(1)
    polls = [0]
    done = threading.Event()
    peaks: dict[int, float] = {}

    def sample() -> None:
        while not done.is_set():
            bucket = polls[0] // 100 * 100
            peaks[bucket] = max(peaks.get(bucket, 0.0), rss_mb())
            time.sleep(0.005)

    # The daemon limits its arenas (``limit_arenas``) before any thread starts; this thread
    # would otherwise take an arena of its own, which the parse and database threads then share.
    ctypes.CDLL(None).mallopt(_M_ARENA_MAX, 1)
    threading.Thread(target=sample, daemon=True).start()
    try:  # numpy's OpenBLAS without threads, as every `monitor` command starts
        from monitor.interpreter import one_blas_thread
    except ImportError:  # a --baseline revision from before it
        pass
    else:
        one_blas_thread()
    from monitor import config as config_module
    from monitor.engine import Engine
    from monitor.interpreter import (
        HeapTrim,
        limit_arenas,
        map_large_blocks,
        settle_heap,
    )
    from monitor.oneshot import poll_all

    steps = {"imports": rss_mb()}
    from realfeeds import news_of_any_age

    config = config_module.loads(news_of_any_age((state / "config.toml").read_text()), base_dir=state)
    steps["config"] = rss_mb()
    at_peak: dict[str, Any] = {"rss": 0.0}
    at_polls: dict[int, dict[str, float]] = {}

    async def cycle() -> tuple[dict[str, float], dict[str, float]]:
        limit_arenas()
        map_large_blocks()
        engine = await Engine.open(config, lazy_window=True)
        settle_heap()
        steps["engine open"] = rss_mb()
        at_open = composition()
        before = tracemalloc.take_snapshot() if trace else None
        trim = HeapTrim()

        def after_poll() -> None:
            trim.poll_done()
            polls[0] += 1
            if polls[0] in at and not trace:
                at_polls[polls[0]] = composition()
            now = rss_mb()
            # Read at the highest point seen after a tenth of the polls (reading smaps
            # costs a few ms: not at every poll of the first ones, which all climb).
            if now > at_peak["rss"] and polls[0] >= len(config.feeds) // 10:
                at_peak.update(rss=now, poll=polls[0], parts=composition())
                at_peak["mappings"] = smaps()[1]

        await poll_all(engine.rt, progress=False, after_poll=after_poll)
        steps["after the cycle"] = rss_mb()
        at_end = composition()
        if before is not None:
            import gc

            gc.collect()
            growth(before, tracemalloc.take_snapshot(), len(config.feeds), lines)
        await engine.close()

        return at_open, at_end

    at_open, at_end = asyncio.run(cycle())
    done.set()
    if trace:
        return
    print(f"monitor imported from {Path(config_module.__file__).parent}")
    print("RSS after each step: " + ", ".join(f"{k} {v:.0f} MB" for k, v in steps.items()))
    print(
        "highest RSS by hundred polls: "
        + ", ".join(f"{k} {v:.0f}" for k, v in sorted(peaks.items()))
    )
    with open("/proc/self/status") as f:
        hwm = next(line.split()[1] for line in f if line.startswith("VmHWM:"))
    print(f"peak (VmHWM) {int(hwm) / 1024:.1f} MB; read at poll {at_peak.get('poll')}:"
          f" {at_peak['rss']:.0f} MB. Made of (MB; once the engine is open, at the peak, after"
          " the cycle):")  # fmt: skip
    for kind, mb in at_peak.get("parts", {}).items():
        print(f"  {kind}: {at_open[kind]:.1f}, {mb:.1f}, {at_end[kind]:.1f}")
    print("largest mappings at the peak: " + ", ".join(
        f"{Path(name).name} {mb:.1f}" for name, mb in sorted(
            at_peak.get("mappings", {}).items(), key=lambda kv: -kv[1])[:8]))  # fmt: skip
    if at_polls:
        columns = {"open": at_open, **{f"poll {n}": at_polls[n] for n in sorted(at_polls)}}
        columns["end"] = at_end
        print("the same at polls (MB): " + " | ".join(columns))
        for kind in at_open:
            print(f"  {kind}: " + ", ".join(f"{parts[kind]:.1f}" for parts in columns.values()))


def restart(state: Path, code: Path) -> None:
    """In a fresh interpreter, on the store the first cycle left: what ``monitor run`` does at
    start (the story window rebuilt from the store: its bulk load), then a cycle."""
    sys.path.insert(0, str(code))
    ctypes.CDLL(None).mallopt(_M_ARENA_MAX, 1)
    try:  # numpy's OpenBLAS without threads, as every `monitor` command starts
        from monitor.interpreter import one_blas_thread
    except ImportError:  # a --baseline revision from before it
        pass
    else:
        one_blas_thread()
    from realfeeds import news_of_any_age

    from monitor import config as config_module
    from monitor.engine import Engine
    from monitor.interpreter import (
        HeapTrim,
        limit_arenas,
        map_large_blocks,
        pause_collector,
        settle_heap,
    )
    from monitor.oneshot import poll_all

    config = config_module.loads(news_of_any_age((state / "config.toml").read_text()), base_dir=state)

    def hwm() -> float:
        with open("/proc/self/status") as f:
            return int(next(line.split()[1] for line in f if line.startswith("VmHWM:"))) / 1024

    async def cycle() -> None:
        limit_arenas()
        map_large_blocks()
        pause_collector()
        engine = await Engine.open(config)
        settle_heap()
        opened, opened_hwm = rss_mb(), hwm()
        trim = HeapTrim()
        await poll_all(engine.rt, progress=False, after_poll=trim.poll_done)
        print(f"restart over the window the cycle left: engine open (window rebuilt) {opened:.0f} MB,"
              f" the highest by then (VmHWM) {opened_hwm:.1f} MB; after a second cycle"
              f" {rss_mb():.0f} MB, the highest (VmHWM) {hwm():.1f} MB")  # fmt: skip
        await engine.close()

    asyncio.run(cycle())


def growth(before: Any, after: Any, feeds: int, lines: int = 15) -> None:
    """What the cycle left alive (tracemalloc), by module and by line (``lines`` of each)."""
    root = str(BENCH.parent) + "/"
    total = sum(d.size_diff for d in after.compare_to(before, "filename"))
    print(f"left alive by the cycle (traced): {total / 2**20:.1f} MB")
    for kind in ("filename", "lineno"):
        for d in after.compare_to(before, kind)[:lines]:
            frame = d.traceback[0]
            where = frame.filename.replace(root, "") + (
                f":{frame.lineno}" if kind == "lineno" else ""
            )
            print(f"  {d.size_diff / 2**20:6.2f} MB {d.count_diff:8,d} objects  {where}")


def main(args: argparse.Namespace) -> None:
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(
        target=serve, args=(child, "real", args.feeds, args.items), daemon=True
    )
    server.start()
    port = receive(parent, server, "the feed server")
    rules = tracking_rules(common_words("real", args.feeds, args.items))
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter, as a command starts
    for code in args.code:
        print(f"monitor from {code.resolve()}:", flush=True)
        for trace in (False, True) if args.trace else (False,):
            with tempfile.TemporaryDirectory() as tmp:
                urls = [f"http://127.0.0.1:{port}/f/{i}" for i in range(args.feeds)]
                (Path(tmp) / "config.toml").write_text(monitor_config(Path(tmp), urls, rules))
                proc = ctx.Process(
                    target=run, args=(Path(tmp), trace, code.resolve(), args.lines, args.at)
                )
                proc.start()
                proc.join()
                if args.restart and not trace:
                    proc = ctx.Process(target=restart, args=(Path(tmp), code.resolve()))
                    proc.start()
                    proc.join()
    server.terminate()
    print(f"feeds: {args.feeds} x {args.items} items (real headlines); load average "
          + ", ".join(f"{x:.2f}" for x in os.getloadavg()))  # fmt: skip


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--trace", action="store_true", help="also what the cycle left alive")
    ap.add_argument("--restart", action="store_true",
                    help="then start again on the store the cycle left (the window rebuilt)")  # fmt: skip
    ap.add_argument("--lines", type=int, default=15,
                    help="with --trace: how many modules and lines to print")  # fmt: skip
    ap.add_argument("--at", type=lambda s: frozenset(int(n) for n in s.split(",")),
                    default=frozenset(), help="also the composition after these polls")  # fmt: skip
    ap.add_argument("--code", type=Path, nargs="+", default=[BENCH.parent],
                    help="checkouts whose monitor runs, in turn")  # fmt: skip
    main(ap.parse_args())
