"""``monitor run`` leaves the cycle collector little to walk: what start-up built is frozen out
of its sight and young objects are collected less often (``monitor once`` collects them as
seldom, and so does the ``monitor`` program's start-up). Opening an engine as a library (tests,
replay, the demo) leaves the interpreter as it found it. The ``monitor`` program ends with its
heap frozen: the exit's own collections walk none of it. The polls of ``monitor run`` and
``monitor once`` give the memory they freed back to the system as they go."""

from __future__ import annotations

import ctypes
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO
from helpers import config_file

from monitor.interpreter import GC_THRESHOLDS

OPEN_ENGINE = """
    engine = await Engine.open(config)
    await engine.close()
    assert gc.get_freeze_count() == 0, gc.get_freeze_count()
    assert gc.get_threshold() == defaults, gc.get_threshold()
    assert gc.isenabled()
"""
RUN_DAEMON = """
    pause_collector()  # as monitor run does before its engine opens
    task = asyncio.create_task(run_daemon(config, None, settle_heap=True))
    deadline = time.monotonic() + 30
    while gc.get_freeze_count() == 0 and time.monotonic() < deadline and not task.done():
        await asyncio.sleep(0.05)
    frozen = gc.get_freeze_count()
    os.kill(os.getpid(), signal.SIGTERM)
    await task
    assert frozen > 10_000, frozen
    assert gc.get_threshold() == GC_THRESHOLDS, gc.get_threshold()
    assert gc.isenabled()  # on again once the engine is open
"""


@pytest.mark.parametrize(("case", "body"), [("library", OPEN_ENGINE), ("monitor run", RUN_DAEMON)])
def test_only_the_daemon_tunes_the_collector(tmp_path: Path, case: str, body: str) -> None:
    script = (
        textwrap.dedent(
            f"""
        import asyncio, gc, os, pathlib, signal, time
        from helpers import make_config
        from monitor.daemon import run_daemon
        from monitor.engine import Engine
        from monitor.interpreter import GC_THRESHOLDS, pause_collector

        async def main():
            defaults = gc.get_threshold()
            config = make_config(pathlib.Path({str(tmp_path)!r}), [])
        """
        )
        + textwrap.indent(textwrap.dedent(body), "    ")
        + "\nasyncio.run(main())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO / "tests",
        env={"PYTHONPATH": f"{REPO}:{REPO / 'tests'}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr[-2000:]


# `python -m monitor ARGS`, writing as the interpreter begins its exit (its atexit hooks run
# before it tears the modules down) how many objects are frozen and the young threshold.
PROGRAM_EXIT = """
import atexit, gc, runpy, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(f"{gc.get_freeze_count()} {gc.get_threshold()[0]}"))
runpy.run_module("monitor", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize(
    ("command", "threshold"),
    [("once", GC_THRESHOLDS[0]), ("check-config", GC_THRESHOLDS[0])],
)
def test_the_program_ends_with_its_heap_out_of_the_collectors_sight(
    tmp_path: Path, command: str, threshold: int
) -> None:
    config = config_file(tmp_path, [])
    out = tmp_path / "at-exit"
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM_EXIT, str(out), command, "-c", str(config)],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    frozen, young = map(int, out.read_text().split())
    assert frozen > 10_000, frozen  # every module, the config: what start-up built
    assert young == threshold


# Blocks of the size a poll's body and parsed entries take, every other one freed: glibc keeps
# the holes between the survivors counted in the process's memory until it is trimmed.
HOLES = """
import sys
from monitor.interpreter import HeapTrim

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20

blocks = [bytearray(b"x" * 60_000) for _ in range(2_000)]
del blocks[::2]
before = rss_mb()
trim = HeapTrim(every=10)
for _ in range(10 if sys.argv[1] == "trim" else 9):
    trim.poll_done()
print(before - rss_mb(), trim.trims)
"""


@pytest.mark.parametrize(
    ("polls", "released", "trims"),
    [("trim", 40.0, 1), ("no trim yet", 0.0, 0)],
)
def test_polls_give_freed_memory_back(polls: str, released: float, trims: int) -> None:
    if not Path("/proc/self/statm").exists():
        pytest.skip("no /proc: RSS cannot be read")
    done = subprocess.run(
        [sys.executable, "-c", HOLES, polls],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    freed, count = done.stdout.split()
    assert int(count) == trims
    # 1,000 holes of 60 kB: about 57 MB
    if released:
        assert float(freed) > released
    else:
        assert float(freed) < 5.0


# Threads that allocate, as the parse and database threads do; then how many malloc arenas
# (glibc's <heap> entries of malloc_info) the process holds.
ARENAS = """
import ctypes, sys, threading
from monitor.interpreter import limit_arenas

if sys.argv[1] == "limited":  # as `monitor run` and `monitor once` do first
    limit_arenas()
def work():
    keep = [bytearray(2_000) for _ in range(1_000)]
threads = [threading.Thread(target=work) for _ in range(3)]
for t in threads:
    t.start()
for t in threads:
    t.join()
libc = ctypes.CDLL(None)
libc.open_memstream.restype = ctypes.c_void_p
buf, size = ctypes.c_char_p(), ctypes.c_size_t()
f = ctypes.c_void_p(libc.open_memstream(ctypes.byref(buf), ctypes.byref(size)))
libc.malloc_info(0, f)
libc.fclose(f)
print(ctypes.string_at(buf, size.value).decode().count("<heap nr="))
"""


@pytest.mark.skipif(
    not hasattr(ctypes.CDLL(None), "malloc_info"), reason="malloc arenas are glibc's"
)
@pytest.mark.parametrize("process", ["limited", "library defaults"])
def test_threads_share_one_malloc_arena_in_the_commands(process: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", ARENAS, process],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    heaps = int(done.stdout)
    assert heaps == 1 if process == "limited" else heaps > 1, heaps
