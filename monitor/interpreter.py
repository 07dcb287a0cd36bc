"""Tuning of the Python interpreter for a long-running daemon.

Nothing in the library calls this: it changes the whole process, so only the command line
does: ``one_blas_thread`` for every command, before anything imports numpy; ``monitor run``,
once: ``limit_arenas``, ``map_large_blocks`` and ``pause_collector`` before the engine
opens, ``settle_heap`` after (see ``monitor.cli.run``). ``monitor once`` limits the arenas
too, and ``HeapTrim`` is given to the polls by ``monitor run`` and ``monitor once`` alone.
The ``monitor`` program itself (``monitor.cli.run_process``, not ``main``) collects young
objects less often from its start (``collect_less_often``) and ends with ``leave_heap``,
whatever the command. Tests that call ``main`` in their own process run with the
interpreter's defaults; the benches that stand for the daemon call what it calls.
"""

from __future__ import annotations

import ctypes
import gc
import os

# The cycle collector, set for a daemon whose heap is mostly long-lived: each full collection
# walks every module, rule and headline of the window again, and feedparser's short-lived
# objects set off a young collection every 700 allocations (the default), promoting objects
# still in use to the older generations.
GC_THRESHOLDS = (10_000, 10, 10)

_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameters (malloc.h)
_M_ARENA_MAX = -8
_MMAP_FROM = 1 << 20
# Polls between two trims: a poll frees its body, its parsed entries and its lxml tree, and
# a trim costs about a millisecond whatever was freed.
TRIM_EVERY = 50


def one_blas_thread() -> None:
    """OpenBLAS (numpy's linear algebra, loaded with numpy) without threads of its own: at
    load it starts a thread for each core and sets it up, CPU that every command spent at
    start for products monitor does not make: story and event matching are numpy's
    element-wise operations. ``[events] semantic``'s encoder does make them, and asks for
    one thread (``UniversalSentenceEncoder(threads=1)``), which its package grants only
    where threadpoolctl is installed: now it runs on one thread everywhere, so a daemon's
    encoding takes one core, not every core, and its vectors' last bits may differ from
    those a multi-threaded product gave (review25a: up to 5e-7 of a score; no pair of 8
    million UCI headlines crossed the threshold). A user's own OPENBLAS_NUM_THREADS stands.
    Before numpy is first imported: OpenBLAS reads it once, as it loads."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def limit_arenas() -> None:
    """One malloc arena for every thread: glibc gives each thread that allocates (the parse
    thread, the database thread) an arena of its own, whose free blocks the others cannot
    reuse, so a block freed on the event loop after a thread made it leaves a hole apart.
    The price: lxml and sqlite3 allocate with the GIL released, and then wait on the one
    arena's lock (a little more wall time for a cycle). Before any thread starts; a no-op
    off glibc."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_ARENA_MAX, 1)


def map_large_blocks() -> None:
    """Large blocks from mmap, always, for the story window's arrays: glibc raises its mmap
    threshold (up to 32 MB) each time a mapped block is freed, and arrays growing a few
    percent at a time then move about the heap and leave it full of holes; mapped, they
    grow in place (mremap) and a freed block goes back to the system. Before the window is
    rebuilt at start; a no-op off glibc."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, _MMAP_FROM)


def pause_collector() -> None:
    """The cycle collector off until ``settle_heap``: start-up makes few reference cycles,
    and rebuilding the story window (a million headlines' postings, the arrays of which the
    collector tracks) set off full collections that walked all it had loaded so far, again
    and again as it grew."""
    gc.disable()


def resume_collector() -> None:
    """The cycle collector on again (``settle_heap`` does it too): for a run that ends, or
    fails, before its engine is open."""
    gc.enable()


def settle_heap() -> None:
    """After start-up built what lives as long as the process (modules, config, rules, the
    rebuilt story window): move it out of the cycle collector's sight, and collect young
    objects less often. A frozen object is still freed when nothing refers to it any more;
    only a reference cycle among frozen objects never would be. The collector runs again
    (``pause_collector``)."""
    gc.collect()  # garbage made at start-up is freed, not frozen
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    resume_collector()


def collect_less_often() -> None:
    """Young objects collected less often (``GC_THRESHOLDS``), as ``settle_heap`` sets them,
    for the ``monitor`` program from its start (``cli.run_process``): in ``monitor once``, at
    the default threshold, a cycle's polls set off hundreds of young collections and full ones
    that walk every headline stored so far, to find few cycles."""
    gc.set_threshold(*GC_THRESHOLDS)


def leave_heap() -> None:
    """Before the process ends, once the command returned: what it built moved out of the
    cycle collector's sight (``gc.freeze``). The interpreter's exit runs full collections as
    it tears the modules down, each walking every object still alive to find the cycles among
    them, which the exit frees anyway; frozen, each object is still freed as its last
    reference goes, without the walks. A reference cycle is then left to the system with the
    process: every command closes what it opened (files, the store) before it returns."""
    gc.freeze()


def release_free_memory() -> bool:
    """Give the pages of the allocator's free blocks back to the system (glibc's
    ``malloc_trim``); False where there is no such call. glibc returns only the free top of
    its heap by itself: the holes that polls leave between longer-lived blocks (the story
    window, the store's cache) stay counted in the process's memory until trimmed."""
    try:
        malloc_trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return False
    malloc_trim(0)
    return True


class HeapTrim:
    """``release_free_memory`` every ``every`` polls: what a burst of polls freed goes back
    to the system while the burst runs, not only once it is over."""

    def __init__(self, every: int = TRIM_EVERY) -> None:
        self.every = every
        self.polls = 0
        self.trims = 0

    def poll_done(self) -> None:
        self.polls += 1
        if self.polls % self.every == 0 and release_free_memory():
            self.trims += 1
