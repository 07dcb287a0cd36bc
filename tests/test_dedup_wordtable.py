"""The window's table of headlines by their words keeps 32 bits of each key: two sets of
words that share them must both stay findable, each by its own words, whether they were put
one at a time (a running node), many at once (the rebuild at start), or renumbered (the
window compacted)."""

from __future__ import annotations

import numpy as np
import pytest

from monitor.dedup.wordtable import WordTable

# Keys whose low 32 bits agree: what 32-bit slots cannot tell apart alone.
SHARED = [0x1234_5678 | (high << 32) for high in (1, 2, 3)]
OTHERS = [0xABCD_0000 + i for i in range(40)]


def _table(words: dict[int, int]) -> WordTable:
    return WordTable(lambda entry, key: words[entry] == key, capacity=16)


def _find(table: WordTable, words: dict[int, int], key: int) -> int | None:
    return table.get(key, lambda e: words[e] == key)


@pytest.mark.parametrize("how", ["put", "put_many", "put_many_in_two", "remap"])
def test_keys_sharing_32_bits_are_each_found(how: str) -> None:
    keys = SHARED + OTHERS + SHARED[:2]  # the last two: the same words again, later
    words = dict(enumerate(keys))  # entry -> its key (its words)
    table = _table(words)
    hashed = np.array(keys, dtype=np.uint64)
    entries = np.arange(len(keys), dtype=np.uint32)
    if how == "put":
        for entry, key in enumerate(keys):
            table.put(key, entry)
    elif how == "put_many":
        table.put_many(hashed, entries)
    else:
        half = len(keys) // 2
        table.put_many(hashed[:half], entries[:half])
        table.put_many(hashed[half:], entries[half:])
    if how == "remap":  # every entry renumbered one up, the first dropped
        table.remap(np.arange(-1, len(keys) - 1))
        words = {e - 1: k for e, k in words.items() if e}
    newest = {key: entry for entry, key in words.items()}
    for key in set(keys):
        assert _find(table, words, key) == newest.get(key), hex(key)
    assert _find(table, words, 0x1234_5678 | (9 << 32)) is None
