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

from collections.abc import Callable, Iterable

import numpy as np
import numpy.typing as npt

from monitor.dedup.keytable import _EMPTY, _MASK, _MAX_LOAD, Entries, Hashes, OpenTable

Short = npt.NDArray[np.uint32]
# Whether an entry's headline has the words of a key (``words_hash``), for keys put: asked
# of the stored entry alone, so that a put builds no text.
Same = Callable[[int, int], bool]


def words_hash(words: Iterable[str]) -> int:
    """The key of a headline's words, whatever their order: the sum of their hashes (64-bit,
    wrapping; equal words, equal keys; other words share one by chance, 2**-64 a pair). A
    sum needs no sorted string: ``vocabulary.index_keys`` makes it in numpy for a whole batch
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


class WordTable(OpenTable):
    """``words hash -> entry id``, each match confirmed; ``remap`` renumbers or drops
    entries on compaction. ``same`` confirms the matches of ``put`` and ``put_many``."""

    TYPECODE = "I"
    DTYPE = np.uint32

    def __init__(self, same: Same, capacity: int = 1024) -> None:
        super().__init__(capacity)
        self._same = same

    def get(self, hashed: int, holds: Callable[[int], bool]) -> int | None:
        """The entry put with ``hashed`` (``words_hash``) for which ``holds`` is true."""
        short, size, keys, values = _short(hashed), self._size, self._keys, self._values
        i = short % size
        while (key := keys[i]) != _EMPTY:
            if key == short and holds(values[i]):
                self._probed = (hashed, i, self._tables)
                return values[i]
            i = i + 1 if i + 1 < size else 0
        self._probed = (hashed, i, self._tables)
        return None

    def put(self, hashed: int, entry: int, holds: Callable[[int], bool] | None = None) -> None:
        """``hashed`` (``words_hash``) now gives ``entry``, in place of the entry with the
        same words, if one was put (as ``holds`` says, or else ``same``). A ``holds`` given
        must be the test of the last ``get`` of ``hashed``, if it was the last one."""
        probed, i, tables = self._probed
        if holds is None:
            same = self._same
            holds = lambda stored: same(stored, hashed)  # noqa: E731
            probed = _EMPTY  # another test than the lookup's
        if self._used + 1 > self._size * _MAX_LOAD:
            self._resize(1)
        short, size, keys, values = _short(hashed), self._size, self._keys, self._values
        if probed == hashed and tables == self._tables and keys[i] == _EMPTY:
            # Where the lookup of these words ended, with the same test: no entry had them,
            # and the probe would end here again (a slot never empties).
            keys[i], values[i] = short, entry
            self._used += 1
            return
        i = short % size
        while (key := keys[i]) != _EMPTY:
            if key == short and holds(values[i]):
                values[i] = entry
                return
            i = i + 1 if i + 1 < size else 0
        keys[i] = short
        values[i] = entry
        self._used += 1

    def put_many(self, hashed: Hashes, entries: Entries) -> None:
        """``put`` for many keys at once (the window rebuilt at start), a match confirmed by
        ``same``: as ``put`` one after the other, a key given twice keeps its last entry."""
        same = self._same
        self._put_last(
            _shorts(hashed), entries, lambda stored, k: same(stored, int(hashed[k])), by=hashed
        )
