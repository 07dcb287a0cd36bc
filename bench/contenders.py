"""One contender's run of the ingest bench, in a process of its own (bench/ingest.py measures
its whole CPU, children included, and its peak RSS through wait4).

    python bench/contenders.py NAME PHASE STATE_DIR URL_FILE

NAME is monitor, reader, rss2email or newsboat; PHASE is setup (not measured), first (a fresh
state's first cycle) or second (the next cycle, every feed answering 304). Prints one JSON
object: {"items": n} after the first cycle, plus monitor's own split of its CPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The monitor to run: this tree's, or a --baseline checkout's (bench/ingest.py says which).
sys.path.insert(0, os.environ.get("BENCH_MONITOR_TREE") or str(Path(__file__).resolve().parents[1]))

INSTALL = {
    "reader": "pip install 'monitor[peers]' (or: pip install reader)",
    "rss2email": "pip install 'monitor[peers]' (or: pip install rss2email)",
    "newsboat": "apt-get install -y newsboat (Debian, Ubuntu)",
}


def missing(name: str) -> str | None:
    """How to install a peer that is not here, or None when it is."""
    if name == "newsboat":
        return None if shutil.which("newsboat") else INSTALL[name]
    if name in ("reader", "rss2email"):
        try:
            __import__(name)
        except ImportError:
            return INSTALL[name]
    return None


def run_monitor(phase: str, state: Path, urls: list[str]) -> dict[str, Any]:
    try:  # numpy's OpenBLAS without threads, as every `monitor` command starts
        from monitor.interpreter import one_blas_thread
    except ImportError:  # a --baseline revision from before it
        pass
    else:
        one_blas_thread()
    from monitor import config as config_module
    from monitor.engine import Engine
    from monitor.interpreter import HeapTrim, map_large_blocks, settle_heap
    from monitor.oneshot import poll_all

    try:
        from monitor.interpreter import limit_arenas
    except ImportError:  # a --baseline revision from before it
        limit_arenas = None

    from realfeeds import news_of_any_age

    config = config_module.loads(news_of_any_age((state / "config.toml").read_text()), base_dir=state)
    memory = {"code and config": rss_mb()}  # where the peak RSS goes: read at each step

    async def cycle() -> dict[str, Any]:
        if os.environ.get("BENCH_NO_TIMERS"):  # bench/profile.py: no wrappers in its samples
            matching, events, rules, ahead = [0.0], [0.0], [0.0], [0.0]
        else:
            matching, _ = time_story_matching()
            events = time_event_assignment()
            rules = time_rule_matching()
            ahead = time_read_ahead()
        if limit_arenas is not None:
            limit_arenas()  # as `monitor run` and `once` do before any thread starts
        map_large_blocks()  # as `monitor run` does before its engine opens
        try:  # the window read only once a poll brings a new item, as `monitor once` does
            engine = await Engine.open(config, lazy_window=True)
        except TypeError:  # a --baseline revision from before lazy_window
            engine = await Engine.open(config)
        settle_heap()  # as `monitor run` does once its engine is open
        memory["store open"] = rss_mb()
        try:
            before = thread_cpu()
            c = time.process_time()
            # freed memory back to the system as polls end, as `monitor run` and `once` do
            outcomes = await poll_all(engine.rt, progress=False, after_poll=HeapTrim().poll_done)
            spent = time.process_time() - c
            memory["after the cycle"] = rss_mb()
            memory.update(rss_parts())
            split = {r: s - before.get(r, 0.0) for r, s in thread_cpu().items()}
            db = engine.store.db
            result = {
                "items": sum(o.new_items for o in outcomes),
                "not_modified": sum(o.result == "not_modified" for o in outcomes),
                "errors": [o.error for o in outcomes if o.error][:3],
                "cycle_cpu": spent,
                "threads": split,
                "story_matching": matching[0],
                "event_assignment": events[0],
                "rule_matching": rules[0],
                "read_ahead": ahead[0],
                "stories": await db.fetch_val("SELECT COUNT(*) FROM stories"),
                "memory": memory,
            }
            change = os.environ.get("BENCH_CHANGE_URL")
            if change:
                result["changed"] = await changed_cycle(
                    engine, change, matching, events, rules, ahead
                )
        finally:
            await engine.close()
        return result

    try:  # the event loop `monitor run` and `once` run on (uvloop's where installed)
        from monitor.eventloop import new_event_loop
    except ImportError:  # a --baseline revision from before it: asyncio's
        result = asyncio.run(cycle())
    else:
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            result = runner.run(cycle())
    try:  # the process ends as the `monitor` program's does
        from monitor.interpreter import leave_heap
    except ImportError:  # a --baseline revision from before it
        pass
    else:
        leave_heap()
    return result


async def changed_cycle(
    engine: Any,
    change_url: str,
    matching: list[float],
    events: list[float],
    rules: list[float] | None = None,
    ahead: list[float] | None = None,
) -> dict[str, Any]:
    """The changed cycle in the running engine: the server switched to the changed bodies
    (``change_url``), every feed polled once more. CPU of the whole process, and by thread."""
    import urllib.request

    from monitor.interpreter import HeapTrim
    from monitor.oneshot import poll_all

    first_hwm_kb = vm_hwm_kb("self")
    await asyncio.to_thread(lambda: urllib.request.urlopen(change_url).read())
    matched, assigned = matching[0], events[0]
    ruled, read = (rules or [0.0])[0], (ahead or [0.0])[0]
    before = thread_cpu()
    start, c = time.perf_counter(), time.process_time()
    outcomes = await poll_all(engine.rt, progress=False, after_poll=HeapTrim().poll_done)
    spent, wall = time.process_time() - c, time.perf_counter() - start
    return {
        "items": sum(o.new_items for o in outcomes),
        "errors": [o.error for o in outcomes if o.error][:3],
        "cycle_cpu": spent,
        "wall": wall,
        "threads": {r: s - before.get(r, 0.0) for r, s in thread_cpu().items()},
        "story_matching": matching[0] - matched,
        "event_assignment": events[0] - assigned,
        "rule_matching": (rules or [0.0])[0] - ruled,
        "read_ahead": (ahead or [0.0])[0] - read,
        "first_hwm_kb": first_hwm_kb,
    }


def run_reader(phase: str, state: Path, urls: list[str]) -> dict[str, Any]:
    from reader import make_reader

    reader = make_reader(str(state / "reader.sqlite"))
    if phase == "setup":
        for url in urls:
            reader.add_feed(url)
        return {}
    # Every feed, as a user's refresh does: reader 3.26 otherwise updates only the feeds whose
    # own schedule is due (none, a moment after the first cycle) and asks the server nothing.
    reader.update_feeds(scheduled=False)
    return {"items": reader.get_entry_counts().total}


def run_rss2email(phase: str, state: Path, urls: list[str]) -> dict[str, Any]:
    r2e = [
        sys.executable,
        "-c",
        "from rss2email.main import run; run()",
        "-c",
        str(state / "r2e.cfg"),
        "-d",
        str(state / "r2e.json"),
    ]
    if phase == "setup":
        outlines = "".join(
            f'<outline type="rss" text="f{i}" xmlUrl="{u}"/>' for i, u in enumerate(urls)
        )
        opml = state / "feeds.opml"
        opml.write_text(f'<?xml version="1.0"?><opml version="1.0"><body>{outlines}</body></opml>')
        subprocess.run([*r2e, "new", "bench@localhost"], check=True, capture_output=True)
        subprocess.run([*r2e, "opmlimport", str(opml)], check=True, capture_output=True)
        return {}
    # In this process, as the r2e command runs it (rss2email.main), so that wait4 sees it.
    from rss2email.main import run

    sys.argv = ["r2e", *r2e[3:], "run", "--no-send"]
    with contextlib.suppress(SystemExit):
        run()
    data = json.loads((state / "r2e.json").read_text())
    return {"items": sum(len(f.get("seen", {})) for f in data.get("feeds", []))}


def run_newsboat(phase: str, state: Path, urls: list[str]) -> dict[str, Any]:
    """Setup only: bench/ingest.py runs newsboat itself (no Python around it to measure)."""
    (state / "urls").write_text("\n".join(urls) + "\n")
    (state / "config").write_text("")
    return {}


def rss_mb() -> float:
    """This process's resident memory now, in MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def rss_parts() -> dict[str, float]:
    """This process's resident memory by kind, in MB: mapped from files (the interpreter's,
    the extensions' and the libraries' code), glibc's malloc heap in use and free (blocks
    over 512 bytes, the extensions' own, SQLite's cache), and the rest of the anonymous
    memory (Python's small objects in pymalloc's arenas, thread stacks)."""
    kinds: dict[str, float] = {}
    with open("/proc/self/smaps_rollup") as f:
        for line in f:
            key, _, value = line.partition(":")
            if value.strip().endswith("kB"):
                kinds[key] = int(value.split()[0]) / 1024
    files = kinds.get("Rss", 0.0) - kinds.get("Anonymous", 0.0)
    try:
        import ctypes

        class MallInfo2(ctypes.Structure):
            _fields_ = [(name, ctypes.c_size_t) for name in (
                "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks",
                "uordblks", "fordblks", "keepcost")]  # fmt: skip

        mallinfo2 = ctypes.CDLL(None).mallinfo2
        mallinfo2.restype = MallInfo2
        info = mallinfo2()
    except (OSError, AttributeError):
        return {"mapped from files": files}
    used, free = (info.uordblks + info.hblkhd) / 2**20, info.fordblks / 2**20
    return {
        "mapped from files": files,
        "malloc in use": used,
        "malloc free": free,
        "Python objects and the rest": kinds.get("Anonymous", 0.0) - used - free,
    }


def vm_hwm_kb(pid: int | str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed(original: Callable[..., Any], spent: list[float]) -> Callable[..., Any]:
    """``original``, adding the thread CPU seconds of each call to ``spent[0]``."""

    def call(*args: Any, **kwargs: Any) -> Any:
        start = time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.thread_time() - start

    return call


def time_story_matching() -> tuple[list[float], float]:
    """Thread CPU seconds spent inside StoryIndex.find and .add (dedup's share), from now on;
    and what timing one call costs the event loop (its clock is a system call), in seconds."""
    from monitor.dedup.index import StoryIndex

    spent = [0.0]
    for name in ("find", "add"):
        setattr(StoryIndex, name, timed(getattr(StoryIndex, name), spent))
    noop = timed(lambda: None, [0.0])
    start = time.thread_time()
    for _ in range(20_000):
        noop()
    return spent, (time.thread_time() - start) / 20_000


def time_event_assignment() -> list[float]:
    """Thread CPU seconds spent inside EventIndex.find and .add (which event each new
    story joins), from now on."""
    from monitor.events import EventIndex

    spent = [0.0]
    for name in ("find", "add", "embed_ahead"):
        setattr(EventIndex, name, timed(getattr(EventIndex, name), spent))
    return spent


def time_rule_matching() -> list[float]:
    """Thread CPU seconds spent inside Matcher.match (the rules each new item matches, with
    the why of each match), from now on."""
    from monitor.match import Matcher

    spent = [0.0]
    for name in ("match",):  # as the two above, by name
        setattr(Matcher, name, timed(getattr(Matcher, name), spent))
    return spent


def time_read_ahead() -> list[float]:
    """Thread CPU seconds spent in dedup's and events' work on the event loop that the three
    shares above leave out, from now on: what story and event assignment read of a poll's
    items before its first decision (FeedTitles.read_ahead: the feeds' labels;
    EventIndex.read_ahead: their labels again and boilerplate) and the titles of the events
    it touched (EventIndex.title). A call inside another of these counts once."""
    from monitor.dedup.labels import FeedTitles
    from monitor.events import EventIndex

    spent = [0.0]
    depth = [0]

    def outermost(original: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if depth[0]:
                return original(*args, **kwargs)
            depth[0] += 1
            start = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent[0] += time.thread_time() - start
                depth[0] -= 1

        return call

    for cls, name in (
        (FeedTitles, "read_ahead"),
        (EventIndex, "read_ahead"),
        (EventIndex, "title"),
    ):
        setattr(cls, name, outermost(getattr(cls, name)))
    return spent


def thread_cpu() -> dict[str, float]:
    """CPU seconds of each live thread of this process, by role."""
    roles: dict[str, float] = {}
    for t in threading.enumerate():
        if t.ident is None:
            continue
        name = t.name
        role = (
            "event loop" if t is threading.main_thread()
            else "parse thread" if name.startswith("monitor-parse")
            else "database thread" if "_connection_worker_thread" in name
            else "other"
        )  # fmt: skip
        try:
            seconds = time.clock_gettime(time.pthread_getcpuclockid(t.ident))
        except OSError:
            continue
        roles[role] = roles.get(role, 0.0) + seconds
    return roles


RUNNERS = {
    "monitor": run_monitor,
    "reader": run_reader,
    "rss2email": run_rss2email,
    "newsboat": run_newsboat,
}

if __name__ == "__main__":
    name, phase, state, url_file = sys.argv[1:5]
    urls = Path(url_file).read_text().split()
    result = RUNNERS[name](phase, Path(state), urls)
    # The last sample before exit: the peak of this process's own memory.
    print(json.dumps({**result, "vm_hwm_kb": vm_hwm_kb("self")}))
