"""The story window's table of URLs and GUIDs grows by building itself again at a larger
size. While it does, the old table and the new one are alive at once; when that comes late in
a cycle, it sets the process's peak memory. Besides the two tables, the rebuild holds a block
of keys at a time, whatever the table's size: a table of a million keys put all at once held
ten times its own size besides."""

from __future__ import annotations

import tracemalloc

import numpy as np

from monitor.dedup.keytable import KeyTable, hashes


def _urls(count: int) -> list[str]:
    return [f"https://news{i % 97}.example/2014/03/{i}/story?id={i * 7}" for i in range(count)]


def _growth_overhead(count: int) -> int:
    """Bytes held at the peak of a table's growth besides its old and new arrays, once it
    holds ``count`` URLs; every URL still gives its entry after."""
    urls = _urls(count)
    table = KeyTable()
    table.put_hashes(hashes(urls), np.arange(count, dtype=np.uint32))
    old = table.memory_bytes()
    tracemalloc.start()  # the old arrays were made before: their bytes are not traced
    try:
        table.reserve(count)  # room for as many again: one rebuild
        new, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert table.memory_bytes() > old
    assert len(table) == count
    assert all(table.get(urls[i]) == i for i in range(0, count, 97))
    assert table.get("https://news1.example/not-seen") is None
    return peak - new


def test_a_growing_table_holds_a_block_of_keys_besides_its_two_arrays() -> None:
    overhead = {count: _growth_overhead(count) for count in (100_000, 400_000)}
    # Four times the keys, about the same held besides (2 MB); with all the old table's
    # keys copied out and probed at once, 10 MB and then 40 MB.
    assert overhead[400_000] < 1.5 * overhead[100_000] + 1_000_000, overhead
    assert overhead[400_000] < 4 * 2**20, overhead
