"""The story window's eviction: ``evict`` forgets the entries of a ``Window`` (window.py)
seen before a time, and ``_compact`` renumbers the rest. Eviction is lazy: ``evict`` moves a
horizon; everything is compacted (renumbered) once evicted entries outnumber live ones. It
is the window's own code, moved out of the class for size: it works on the window's arrays
and tables (its private attributes) directly.
"""

from __future__ import annotations

from array import array
from datetime import datetime

import numpy as np

from monitor.dedup.window import STORY, Window, np_view, seconds


def evict(window: Window, before: datetime | float) -> int:
    """Forget what was seen before ``before``; the number of headlines forgotten."""
    horizon = seconds(before)
    if horizon <= window._horizon:
        return 0
    before_horizon, window._horizon = window._horizon, horizon
    seen = np_view(window._seen, np.uint32)
    dropped = int(np.count_nonzero((seen < horizon) & (seen >= before_horizon)))
    del seen  # the view: _seen grows again with the next add
    window._live -= dropped
    window._evicted += dropped
    if window._evicted > max(1000, window._live):
        _compact(window)
    return dropped


def _compact(window: Window) -> None:
    """Renumber the live entries from 0 and drop the evicted ones everywhere."""
    total = len(window._story)
    alive = np_view(window._seen, np.uint32) >= window._horizon
    live = np.flatnonzero(alive)
    remap = np.full(total, -1, dtype=np.int64)
    remap[live] = np.arange(len(live))
    first = np_view(window._first, np.uint32)[live].astype(np.int64)
    latest = np_view(window._latest, np.uint32)[live]
    new_first = remap[first]
    # A story whose first headline was evicted: its oldest live entry stands in, and
    # keeps the story's last-seen time.
    orphan = np.flatnonzero(new_first < 0)
    if len(orphan):
        firsts, stand_in, which = np.unique(first[orphan], return_index=True, return_inverse=True)
        new_first[orphan] = orphan[stand_in][which]
        latest[orphan[stand_in]] = np_view(window._latest, np.uint32)[firsts]
    window.headlines.compact(alive, remap)
    stories = np_view(window._story, STORY[window._story.typecode])[live]
    window._story = array(window._story.typecode, stories.tobytes())
    window._seen = array("I", np_view(window._seen, np.uint32)[live].tobytes())
    window._first = array("I", new_first.astype(np.uint32).tobytes())
    window._latest = array("I", latest.tobytes())
    window._agrees = bytearray(len(live))  # a stand-in first headline is asked anew
    window._keys.remap(remap)
    window._words.remap(remap)
    story, old_first = window._last
    window._last, window._last_agreed = (story, -1), ""
    if old_first >= 0:
        # the story's stand-in, when its first entry was evicted (see above)
        now_first = remap[old_first]
        if now_first < 0:
            stand_ins = new_first[first == old_first]
            now_first = stand_ins[0] if len(stand_ins) else -1
        window._last = (story, int(now_first))
    window._evicted = 0
    window.compactions += 1
