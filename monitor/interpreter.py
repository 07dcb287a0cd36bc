"""Tuning of the Python interpreter for a long-running daemon.

Nothing in the library calls this: it changes the whole process, so only ``monitor run``
does, once, after the engine has opened (see ``monitor.cli.run``). Tests, replay, the demo
and the benches run with the interpreter's defaults.
"""

from __future__ import annotations

import gc

# The cycle collector, set for a daemon whose heap is mostly long-lived: each full collection
# walks every module, rule and headline of the window again, and feedparser's short-lived
# objects set off a young collection every 700 allocations (the default), promoting objects
# still in use to the older generations.
GC_THRESHOLDS = (10_000, 10, 10)


def settle_heap() -> None:
    """After start-up built what lives as long as the process (modules, config, rules, the
    rebuilt story window): move it out of the cycle collector's sight, and collect young
    objects less often. A frozen object is still freed when nothing refers to it any more;
    only a reference cycle among frozen objects never would be."""
    gc.collect()  # garbage made at start-up is freed, not frozen
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
