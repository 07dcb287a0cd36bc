"""A compact map from a GUID or canonical URL to an entry of the story index.

A dict of a million URLs would take a few hundred MB (the strings themselves); this keeps a
64-bit hash of each key and a 32-bit entry id in two flat arrays (open addressing, linear
probing): 12 bytes a slot, the table between 60% and 80% full. A false hit
needs two keys of the window with the same 64-bit hash (odds about 1 in 10^7 at a million
keys), so it is accepted. The hash is Python's own string hash: the table lives only in
memory and is rebuilt at each start, so its per-process seed does not matter, and it costs
a tenth of a cryptographic hash (two million keys are hashed at every start).

One key is looked up or put in Python; many at once (the window loaded at start, a resize,
the renumbering when the index compacts) in numpy, a probe step for all keys at a time.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

_EMPTY = 0  # no key hashes to 0 (see _hash)
_MASK = (1 << 64) - 1
_MAX_LOAD = 0.8  # grow past this; probes stay short up to here with a well-mixed hash
_LOAD = 0.6  # after a rebuild

Hashes = npt.NDArray[np.uint64]
Entries = npt.NDArray[np.uint32]


def _hash(key: str) -> int:
    return (hash(key) & _MASK) or 1


def hashes(keys: Sequence[str]) -> Hashes:
    """``_hash`` of each key: Python's hash read as unsigned (the same bits as ``& _MASK``)."""
    hashed = np.fromiter(map(hash, keys), dtype=np.int64, count=len(keys)).view(np.uint64)
    hashed[hashed == _EMPTY] = 1
    return hashed


# Whether the entry stored in a slot holding a key's bits is the one the ``k``-th key put
# names (``OpenTable._put_all``): (stored entry, k).
Confirm = Callable[[int, int], bool]
# What a rebuild puts in place of a block of the old table's keys and entries (``remap``).
Change = Callable[[npt.NDArray[Any], Entries], tuple[npt.NDArray[Any], Entries]]
# Keys read or put at a time by the numpy paths: the arrays a probe step makes are a few
# MB at most (about 60 bytes a key), and numpy's fixed costs still a small part of a block.
_BLOCK = 32_768


class OpenTable:
    """A flat map from keys (unsigned ints of ``TYPECODE``, never 0) to 32-bit entry ids:
    open addressing, linear probing, the table between 60% and 80% full. Subclasses look
    one key up and put one in Python; here many are put at once (the window loaded at
    start, a resize, the renumbering when the index compacts) in numpy."""

    TYPECODE = "Q"
    DTYPE: type[np.unsignedinteger[Any]] = np.uint64

    def __init__(self, capacity: int = 1024) -> None:
        self._size = max(16, int(capacity / _LOAD))
        self._keys = array(self.TYPECODE, [_EMPTY]) * self._size
        self._values = array("I", [0]) * self._size
        self._used = 0  # slots holding a key, removed ones included
        self._tables = 0  # arrays made (``_rebuild``): a slot kept from before names another
        # Where the last lookup's probe ended, for the put of the same key that follows it
        # (an item's URL looked up by find, put by add): (key's bits, slot, ``_tables``).
        self._probed = (_EMPTY, 0, -1)

    def reserve(self, count: int) -> None:
        """Make room for ``count`` more keys at once (growing step by step re-inserts them all)."""
        if self._used + count > self._size * _MAX_LOAD:
            self._resize(count)

    def remap(self, new_entry: npt.NDArray[np.int64]) -> None:
        """Renumber every entry ``e`` to ``new_entry[e]``; a negative one drops its key."""

        def renumbered(
            keys: npt.NDArray[Any], entries: Entries
        ) -> tuple[npt.NDArray[Any], Entries]:
            renumber = new_entry[entries]
            kept = renumber >= 0
            return keys[kept], renumber[kept].astype(np.uint32)

        self._rebuild(0, renumbered)

    def _resize(self, extra: int) -> None:
        self._rebuild(extra, None)

    def _rebuild(self, extra: int, change: Change | None) -> None:
        """A new table holding what the old one held (each slot's key and entry, put again
        as they were, or as ``change`` makes them: none replaces another), with room for
        ``extra``. The old table is read a block of slots at a time: its keys and entries
        copied all at once, with the new table beside them, set the process's peak."""
        old_keys = np.frombuffer(self._keys, dtype=self.DTYPE)
        old_values = np.frombuffer(self._values, dtype=np.uint32)

        def blocks() -> Iterator[tuple[npt.NDArray[Any], Entries]]:
            for at in range(0, len(old_keys), _BLOCK):
                keys = old_keys[at : at + _BLOCK]
                used = keys != _EMPTY
                held = keys[used], old_values[at : at + _BLOCK][used]
                yield held if change is None else change(*held)

        if change is None:
            count = int(np.count_nonzero(old_keys != _EMPTY))
        else:
            count = sum(len(keys) for keys, _ in blocks())
        # 60% full after a rebuild: room to grow by a third before the next one.
        self._size = max(16, int((count + extra) / _LOAD))
        # Made at their size and filled in place: a transient copy of a table this large
        # would leave the allocator a hole of its size for good.
        self._keys = array(self.TYPECODE, [_EMPTY]) * self._size
        self._values = array("I", [0]) * self._size
        self._tables += 1
        self._used = sum(self._put_all(keys, entries, _never) for keys, entries in blocks())

    def _put_last(
        self,
        keys: npt.NDArray[Any],
        entries: Entries,
        confirm: Confirm | None,
        by: Hashes | None = None,
    ) -> None:
        """Put many keys at once, as one after the other: a key given twice (the same
        ``by``, the keys themselves by default) keeps its last entry; one resize at most."""
        if not len(keys):
            return
        # The last of each key: unique over the reversed batch keeps first occurrences.
        _, last = np.unique((keys if by is None else by)[::-1], return_index=True)
        keep = len(keys) - 1 - last
        self.reserve(len(keep))
        if confirm is not None:
            wanted = confirm
            confirm = lambda stored, k: wanted(stored, int(keep[k]))  # noqa: E731
        self._used += self._put_all(keys[keep], entries[keep], confirm)

    def _put_all(self, wanted: npt.NDArray[Any], entries: Entries, confirm: Confirm | None) -> int:
        """Put keys into the table in place; the slots newly used. A key meeting a slot with
        the same bits takes it where ``confirm`` says so (always, without ``confirm``).

        ``_BLOCK`` keys at a time, one block after the other: the probe's arrays (several
        times the keys' own size) stay small whatever the count, as a million keys put at
        start would otherwise make a hundred MB of them at once."""
        return sum(
            self._put_block(wanted[at : at + _BLOCK], entries[at : at + _BLOCK], confirm, at)
            for at in range(0, len(wanted), _BLOCK)
        )

    def _put_block(
        self, wanted: npt.NDArray[Any], entries: Entries, confirm: Confirm | None, offset: int
    ) -> int:
        """``_put_all`` for keys ``offset`` on (the ``k`` that ``confirm`` is given).

        Linear probing a step at a time for all keys at once: each key looks at its next
        slot; one holding it takes the new entry, an empty one goes to the first key that
        wants it (the others move on, as they would find it taken one by one). A slot never
        empties, so every key stays reachable from its home slot, as a lookup walks it."""
        keys = np.frombuffer(self._keys, dtype=self.DTYPE)
        values = np.frombuffer(self._values, dtype=np.uint32)
        at = (wanted % self.DTYPE(len(keys))).astype(np.int64)
        pending = np.arange(len(wanted))
        used = 0
        while len(pending):
            slots = at[pending]
            held = keys[slots]
            match = np.flatnonzero(held == wanted[pending])
            if len(match) and confirm is not None:  # few: wire copies, and bits shared by chance
                ok = [
                    confirm(int(values[slots[m]]), offset + int(pending[m])) for m in match.tolist()
                ]
                match = match[np.array(ok, dtype=np.bool_)]
            values[slots[match]] = entries[pending[match]]
            empty = np.flatnonzero(held == _EMPTY)
            taken, first = np.unique(slots[empty], return_index=True)
            winners = pending[empty[first]]
            keys[taken] = wanted[winners]
            values[taken] = entries[winners]
            used += len(taken)
            done = np.zeros(len(pending), dtype=np.bool_)
            done[match] = True
            done[empty[first]] = True
            pending = pending[~done]
            at[pending] += 1
            at[pending[at[pending] == len(keys)]] = 0
        return used

    def __len__(self) -> int:
        return self._used

    def memory_bytes(self) -> int:
        return self._keys.itemsize * len(self._keys) + self._values.itemsize * len(self._values)


def _never(_stored: int, _k: int) -> bool:
    return False


class KeyTable(OpenTable):
    """``key -> entry id`` for strings, by a 64-bit hash of each (12 bytes a slot); a match of
    the hash is taken as the key."""

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
        if self._keys[i] == hashed:
            return self._values[i]
        self._probed = (hashed, i, self._tables)
        return None

    def put(self, key: str, entry: int) -> None:
        if self._used + 1 > self._size * _MAX_LOAD:
            self._resize(1)
        hashed = _hash(key)
        probed, i, tables = self._probed
        # The slot where the lookup of this key ended, if still empty: the probe would end
        # there again (a slot never empties, and none before it held the key).
        if probed != hashed or tables != self._tables or self._keys[i] != _EMPTY:
            i = self._slot(hashed)
        if self._keys[i] == _EMPTY:
            self._used += 1
        self._keys[i] = hashed
        self._values[i] = entry

    def put_hashes(self, hashed: Hashes, values: Entries) -> None:
        """``put`` for many keys at once, given by their hashes (``hashes``), as the window
        rebuilt at start does: one resize at most; a key given twice keeps its last entry."""
        self._put_last(hashed, values, None)


# A GUID this long is taken to name one article whatever feed carries it (a UUID, a hash).
MIN_SHARED_GUID = 24


def shared_guid(guid: str | None) -> str | None:
    """``guid`` when it can name the same article in two feeds: a URL, a URN or tag URI, or
    a long opaque id. Short ids ("1", "post-123") are numbered per feed: two feeds' item
    "1" are different articles, so such a GUID joins no story across feeds (None)."""
    if not guid:
        return None
    if len(guid) >= MIN_SHARED_GUID or "://" in guid or guid.startswith(("urn:", "tag:")):
        return guid
    return None
