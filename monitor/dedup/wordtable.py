"""The story window's headlines by their words: the newest entry whose headline has a given
set of words, in any order (``words_hash``), so that a headline seen again with the
same words (wire copy) is found in one lookup.

8 bytes a slot: 32 bits of the words' hash and the entry id (open addressing, linear
probing, the table between 60% and 80% full, as ``KeyTable``). Where ``KeyTable`` keeps 64
bits of a URL's hash and takes a match as the URL, two sets of words can share 32 bits
(about a hundred pairs in a million distinct sets): a match is only a candidate, which the
caller's test confirms, and the search goes on past one that fails. A lookup's test compares
the headlines' sorted words; a put's compares the two 64-bit sums of their words' hashes
(two different sets sharing those are left to chance).

One key is looked up or put in Python; many at once (the window loaded at start, a resize,
the renumbering when the index compacts) in numpy, a probe step for all keys at a time.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable

import numpy as np
import numpy.typing as npt

from monitor.dedup.keytable import Entries, Hashes

_EMPTY = 0  # no key is 0 (see _short)
_MAX_LOAD = 0.8
_LOAD = 0.6  # after a rebuild

Short = npt.NDArray[np.uint32]
# Whether an entry's headline has the words of a key (``words_hash``), for keys put: asked
# of the stored entry alone, so that a put builds no text.
Same = Callable[[int, int], bool]


_MASK = (1 << 64) - 1


def words_hash(words: Iterable[str]) -> int:
    """The key of a headline's words, whatever their order: the sum of their hashes (64-bit,
    wrapping; equal words, equal keys; other words share one by chance, 2**-64 a pair). A
    sum needs no sorted string: ``postings.index_keys`` makes it in numpy for a whole batch
    of headlines, and ``words_hashes`` finishes it."""
    return (sum(map(hash, words)) & _MASK) or 1


def words_hashes(sums: Hashes) -> Hashes:
    """``words_hash`` of word-hash sums made in numpy (64-bit, wrapping)."""
    out = sums.copy()
    out[out == 0] = 1
    return out


def _short(hashed: int) -> int:
    return (hashed & 0xFFFF_FFFF) or 1


def _shorts(hashed: Hashes) -> Short:
    short = (hashed & np.uint64(0xFFFF_FFFF)).astype(np.uint32)
    short[short == _EMPTY] = 1
    return short


class WordTable:
    """``words hash -> entry id``, each match confirmed; ``remap`` renumbers or drops
    entries on compaction. ``same`` confirms the matches of ``put`` and ``put_many``."""

    def __init__(self, same: Same, capacity: int = 1024) -> None:
        self._same = same
        self._size = max(16, int(capacity / _LOAD))
        self._keys = array("I", [_EMPTY]) * self._size
        self._values = array("I", [0]) * self._size
        self._used = 0  # slots holding a key, removed ones included

    def get(self, hashed: int, holds: Callable[[int], bool]) -> int | None:
        """The entry put with ``hashed`` (``words_hash``) for which ``holds`` is true."""
        short, size, keys, values = _short(hashed), self._size, self._keys, self._values
        i = short % size
        while (key := keys[i]) != _EMPTY:
            if key == short and holds(values[i]):
                return values[i]
            i = i + 1 if i + 1 < size else 0
        return None

    def put(self, hashed: int, entry: int, holds: Callable[[int], bool] | None = None) -> None:
        """``hashed`` (``words_hash``) now gives ``entry``, in place of the entry with the
        same words, if one was put (as ``holds`` says, or else ``same``)."""
        if holds is None:
            same = self._same
            holds = lambda stored: same(stored, hashed)  # noqa: E731
        if self._used + 1 > self._size * _MAX_LOAD:
            self._resize(1)
        short, size, keys, values = _short(hashed), self._size, self._keys, self._values
        i = short % size
        while (key := keys[i]) != _EMPTY:
            if key == short and holds(values[i]):
                values[i] = entry
                return
            i = i + 1 if i + 1 < size else 0
        keys[i] = short
        values[i] = entry
        self._used += 1

    def reserve(self, count: int) -> None:
        """Make room for ``count`` more keys at once (growing step by step re-inserts them all)."""
        if self._used + count > self._size * _MAX_LOAD:
            self._resize(count)

    def put_many(self, hashed: Hashes, entries: Entries) -> None:
        """``put`` for many keys at once (the window rebuilt at start), a match confirmed by
        ``same``: as ``put`` one after the other, a key given twice keeps its last entry."""
        if not len(hashed):
            return
        # The last of each key: unique over the reversed batch keeps first occurrences.
        _, last = np.unique(hashed[::-1], return_index=True)
        keep = len(hashed) - 1 - last
        self.reserve(len(keep))
        self._used += self._insert(hashed[keep], entries[keep], self._same)

    def remap(self, new_entry: npt.NDArray[np.int64]) -> None:
        """Renumber every entry ``e`` to ``new_entry[e]``; a negative one drops its key."""
        keys = np.frombuffer(self._keys, dtype=np.uint32)
        used = keys != _EMPTY
        entries = new_entry[np.frombuffer(self._values, dtype=np.uint32)[used]]
        kept = entries >= 0
        self._fill(keys[used][kept], entries[kept].astype(np.uint32), 0)

    def _resize(self, extra: int) -> None:
        keys = np.frombuffer(self._keys, dtype=np.uint32)
        used = keys != _EMPTY
        self._fill(keys[used], np.frombuffer(self._values, dtype=np.uint32)[used], extra)

    def _fill(self, short: Short, entries: Entries, extra: int) -> None:
        """A new table holding ``short -> entries`` (distinct keys, even where their 32 bits
        agree), with room for ``extra``."""
        self._size = max(16, int((len(short) + extra) / _LOAD))
        # Made at their size and filled in place: a transient copy of a table this large
        # would leave the allocator a hole of its size for good.
        self._keys = array("I", [_EMPTY]) * self._size
        self._values = array("I", [0]) * self._size
        self._used = self._insert(short.astype(np.uint64), entries, None)

    def _insert(self, hashed: Hashes, entries: Entries, same: Same | None) -> int:
        """Put keys into the table in place; the slots newly used. A key meeting one with the
        same 32 bits takes its slot where ``same`` confirms it (never without ``same``: the
        keys of a resize are distinct, and only their 32 bits are known).

        Linear probing a step at a time for all keys at once: each key looks at its next
        slot; one holding it takes the new entry, an empty one goes to the first key that
        wants it (the others move on, as they would find it taken one by one)."""
        keys = np.frombuffer(self._keys, dtype=np.uint32)
        values = np.frombuffer(self._values, dtype=np.uint32)
        short = _shorts(hashed)
        at = (short % np.uint32(len(keys))).astype(np.int64)
        pending = np.arange(len(short))
        used = 0
        while len(pending):
            slots = at[pending]
            held = keys[slots]
            match = np.flatnonzero(held == short[pending])
            if len(match):  # few: wire copies, and 32 bits shared by chance
                confirmed = [
                    same is not None and same(int(values[slots[m]]), int(hashed[pending[m]]))
                    for m in match.tolist()
                ]
                match = match[np.array(confirmed, dtype=np.bool_)]
                values[slots[match]] = entries[pending[match]]
            empty = np.flatnonzero(held == _EMPTY)
            taken, first = np.unique(slots[empty], return_index=True)
            winners = pending[empty[first]]
            keys[taken] = short[winners]
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
