"""Tuning of the Python interpreter for a long-running daemon.

Nothing in the library calls this: it changes the whole process, so only ``monitor run``
does, once: ``map_large_blocks`` before the engine opens, ``settle_heap`` after (see
``monitor.cli.run``). Tests, replay and the demo run with the interpreter's defaults; the
benches that stand for the daemon call what it calls.
"""

from __future__ import annotations

import ctypes
import gc

# The cycle collector, set for a daemon whose heap is mostly long-lived: each full collection
# walks every module, rule and headline of the window again, and feedparser's short-lived
# objects set off a young collection every 700 allocations (the default), promoting objects
# still in use to the older generations.
GC_THRESHOLDS = (10_000, 10, 10)

_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter (malloc.h)
_MMAP_FROM = 1 << 20


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


def settle_heap() -> None:
    """After start-up built what lives as long as the process (modules, config, rules, the
    rebuilt story window): move it out of the cycle collector's sight, and collect young
    objects less often. A frozen object is still freed when nothing refers to it any more;
    only a reference cycle among frozen objects never would be."""
    gc.collect()  # garbage made at start-up is freed, not frozen
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
