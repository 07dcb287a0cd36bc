"""A compact map from a GUID or canonical URL to an entry of the story index.

A dict of a million URLs would take a few hundred MB (the strings themselves); this keeps a
64-bit hash of each key and a 32-bit entry id in two flat arrays (open addressing, linear
probing): 12 bytes a slot, the table between 60% and 80% full. A false hit
needs two keys of the window with the same 64-bit hash (odds about 1 in 10^7 at a million
keys), so it is accepted. The hash is Python's own string hash: the table lives only in
memory and is rebuilt at each start, so its per-process seed does not matter, and it costs
a tenth of a cryptographic hash (two million keys are hashed at every start).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence

_EMPTY = 0  # no key hashes to 0 (see _hash)
_MASK = (1 << 64) - 1
_MAX_LOAD = 0.8  # grow past this; probes stay short up to here with a well-mixed hash
_LOAD = 0.6  # after a rebuild


def _hash(key: str) -> int:
    return (hash(key) & _MASK) or 1


class KeyTable:
    """``key -> entry id`` for strings; ``remap`` renumbers or drops entries on compaction."""

    def __init__(self, capacity: int = 1024) -> None:
        self._size = max(16, int(capacity / _LOAD))
        self._keys = array("Q", bytes(8 * self._size))
        self._values = array("I", bytes(4 * self._size))
        self._used = 0  # slots holding a key, removed ones included

    def _slot(self, hashed: int) -> int:
        size = self._size
        i = hashed % size
        keys = self._keys
        while keys[i] != _EMPTY and keys[i] != hashed:
            i = i + 1 if i + 1 < size else 0
        return i

    def get(self, key: str) -> int | None:
        hashed = _hash(key)
        i = self._slot(hashed)
        return self._values[i] if self._keys[i] == hashed else None

    def put(self, key: str, entry: int) -> None:
        if self._used + 1 > self._size * _MAX_LOAD:
            self._rebuild(lambda e: e, 1)
        self._put(_hash(key), entry)

    def reserve(self, count: int) -> None:
        """Make room for ``count`` more keys at once (growing step by step re-inserts them all)."""
        if self._used + count > self._size * _MAX_LOAD:
            self._rebuild(lambda e: e, count)

    def put_many(self, pairs: Sequence[tuple[str, int]]) -> None:
        """``put`` for many keys at once (the window rebuilt at start): one resize at most."""
        self.reserve(len(pairs))
        size = self._size
        keys = self._keys
        values = self._values
        used = 0
        for key, entry in pairs:  # _put inlined: this runs twice per item of the window
            hashed = (hash(key) & _MASK) or 1
            i = hashed % size
            while (k := keys[i]) != _EMPTY and k != hashed:
                i = i + 1 if i + 1 < size else 0
            if k == _EMPTY:
                used += 1
            keys[i] = hashed
            values[i] = entry
        self._used += used

    def _put(self, hashed: int, entry: int) -> None:
        # Inlined _slot: this runs twice per item when the window is rebuilt.
        size = self._size
        keys = self._keys
        i = hashed % size
        while (k := keys[i]) != _EMPTY and k != hashed:
            i = i + 1 if i + 1 < size else 0
        if k == _EMPTY:
            self._used += 1
        keys[i] = hashed
        self._values[i] = entry

    def remap(self, new_entry: Callable[[int], int | None]) -> None:
        """Renumber every entry (None: drop it), as the index does when it compacts."""
        self._rebuild(new_entry, 0)

    def _rebuild(self, new_entry: Callable[[int], int | None], extra: int) -> None:
        old = [(k, v) for k, v in zip(self._keys, self._values, strict=True) if k != _EMPTY]
        kept = [(k, e) for k, v in old if (e := new_entry(v)) is not None]
        # 60% full after a rebuild: room to grow by a third before the next one.
        self._size = max(16, int((len(kept) + extra) / _LOAD))
        self._keys = array("Q", bytes(8 * self._size))
        self._values = array("I", bytes(4 * self._size))
        self._used = 0
        for hashed, entry in kept:
            self._put(hashed, entry)

    def __len__(self) -> int:
        return self._used

    def memory_bytes(self) -> int:
        return self._keys.itemsize * len(self._keys) + self._values.itemsize * len(self._values)
