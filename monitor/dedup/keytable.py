"""A compact map from a GUID or canonical URL to an entry of the story index.

A dict of a million URLs would take a few hundred MB (the strings themselves); this keeps a
64-bit hash of each key and a 32-bit entry id in two flat arrays (open addressing, linear
probing): 24 bytes a key at the lowest load. A false hit needs two keys of the window with
the same 64-bit hash (odds about 1 in 10^7 at a million keys), so it is accepted.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Callable

_EMPTY = 0  # no key hashes to 0 (see _hash)


def _hash(key: str) -> int:
    value = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")
    return value or 1


class KeyTable:
    """``key -> entry id`` for strings; ``remap`` renumbers or drops entries on compaction."""

    def __init__(self, capacity: int = 1024) -> None:
        self._size = 1 << max(4, (capacity - 1).bit_length())
        self._keys = array("Q", bytes(8 * self._size))
        self._values = array("I", bytes(4 * self._size))
        self._used = 0  # slots holding a key, removed ones included

    def _slot(self, hashed: int) -> int:
        mask = self._size - 1
        i = hashed & mask
        keys = self._keys
        while keys[i] != _EMPTY and keys[i] != hashed:
            i = (i + 1) & mask
        return i

    def get(self, key: str) -> int | None:
        hashed = _hash(key)
        i = self._slot(hashed)
        return self._values[i] if self._keys[i] == hashed else None

    def put(self, key: str, entry: int) -> None:
        if (self._used + 1) * 3 > self._size * 2:
            self._rebuild(lambda e: e, self._size * 2)
        hashed = _hash(key)
        i = self._slot(hashed)
        if self._keys[i] == _EMPTY:
            self._used += 1
        self._keys[i] = hashed
        self._values[i] = entry

    def remap(self, new_entry: Callable[[int], int | None]) -> None:
        """Renumber every entry (None: drop it), as the index does when it compacts."""
        self._rebuild(new_entry, self._size)

    def _rebuild(self, new_entry: Callable[[int], int | None], size: int) -> None:
        old = [(k, v) for k, v in zip(self._keys, self._values, strict=True) if k != _EMPTY]
        kept = [(k, e) for k, v in old if (e := new_entry(v)) is not None]
        while len(kept) * 3 > size:
            size *= 2  # at most a third full after a rebuild: probes stay short
        while size > 1024 and len(kept) * 6 < size:
            size //= 2
        self._size = size
        self._keys = array("Q", bytes(8 * size))
        self._values = array("I", bytes(4 * size))
        self._used = 0
        for hashed, entry in kept:
            i = self._slot(hashed)
            self._keys[i] = hashed
            self._values[i] = entry
            self._used += 1

    def __len__(self) -> int:
        return self._used

    def memory_bytes(self) -> int:
        return self._keys.itemsize * len(self._keys) + self._values.itemsize * len(self._values)
