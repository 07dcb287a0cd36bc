"""The story window loaded in bulk: ``load`` puts many stored items into a ``Window``
(window.py) at once, as the rebuild at start does, a column at a time in numpy. It is the
window's own code, moved out of the class for size: it fills the window's arrays and tables
(its private attributes) directly, as ``Window.append`` does for one item.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

import numpy as np

from monitor.dedup.keytable import hashes, shared_guid
from monitor.dedup.window import MAX_U32, STORY, Window
from monitor.dedup.wordtable import words_hashes


def load(
    window: Window,
    stories: Sequence[int],
    keys: Sequence[str],
    seen_at: Sequence[float],
    urls: Sequence[str | None],
    guids: Sequence[str | None],
) -> int:
    """``add`` for many items at once, as the rebuild at start does; the number added.

    One column per argument, a row per item: its story, the ``Headline.key`` that ``add``
    returned (the headline is not parsed again), when it was seen, its canonical URL and
    GUID; a story's rows one after the other, oldest first. The result is the same as
    ``add`` row by row; the work is done a column at a time in numpy, with as little
    Python per row as can be (a million rows are loaded at every start).
    """
    count = len(keys)
    if not count:
        return 0
    base = len(window._story)
    entries = np.arange(base, base + count, dtype=np.int64)
    story = np.asarray(stories, dtype=np.int64)
    seen = np.floor(np.asarray(seen_at, dtype=np.float64)).clip(0, MAX_U32).astype(np.uint32)
    # A story's first entry: where its run of rows starts (or the one before this batch).
    last_story, last_first = window._last
    starts = np.empty(count, dtype=np.bool_)
    starts[0] = not (story[0] == last_story and last_first >= 0)
    np.not_equal(story[1:], story[:-1], out=starts[1:])
    first = np.where(starts, entries, 0)
    if not starts[0]:
        first[0] = last_first
    np.maximum.accumulate(first, out=first)
    # A story's last-seen time, at its first entry: the latest of its rows.
    runs = np.flatnonzero(np.append(True, starts[1:]))
    latest = seen.copy()
    latest[runs] = np.maximum.reduceat(seen, runs)
    if not starts[0]:
        window._latest[last_first] = max(window._latest[last_first], int(latest[0]))
    if story.max() > MAX_U32 and window._story.typecode == "I":
        window._story = array("q", window._story)
    window._story.frombytes(story.astype(STORY[window._story.typecode]).tobytes())
    window._seen.frombytes(seen.tobytes())
    window._first.frombytes(first.astype(np.uint32).tobytes())
    window._latest.frombytes(latest.tobytes())
    window._agrees.extend(bytes(count))
    # Keys as hashes and entries in flat arrays: no tuple a row (a million at each start,
    # each one more object for the cycle collector to walk while the load runs).
    sums = window.headlines.load(keys)
    with_words = np.flatnonzero(window.headlines.lengths_of(entries.astype(np.uint32)))
    with_url = [i for i, url in enumerate(urls) if url]
    url_keys = [url for url in urls if url]
    shared = [bool(g and g != url and shared_guid(g)) for g, url in zip(guids, urls, strict=True)]
    with_guid = [i for i, ok in enumerate(shared) if ok]
    guid_keys = [g for g, ok in zip(guids, shared, strict=True) if g and ok]
    window._words.put_many(
        words_hashes(sums[with_words]), with_words.astype(np.uint32) + np.uint32(base)
    )
    # In row order, a row's URL before its GUID, as ``Window.append`` puts them: where a key is
    # given twice (an older row's GUID that is a newer row's URL), the later row keeps it.
    rows = np.array(with_url + with_guid, dtype=np.int64)
    order = np.argsort(rows * 2 + (np.arange(len(rows)) >= len(with_url)), kind="stable")
    window._keys.put_hashes(
        np.concatenate([hashes(url_keys), hashes(guid_keys)])[order],
        rows[order].astype(np.uint32) + np.uint32(base),
    )
    born_dead = int(np.count_nonzero(seen < window._horizon))
    window._live += count - born_dead
    window._evicted += born_dead
    window._last, window._last_agreed = (int(story[-1]), int(first[-1])), ""
    return count
