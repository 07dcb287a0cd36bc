"""The entries of the story window's last headlines by their title, so that a headline seen
again word for word (one wire story under the same title in many feeds) is rebuilt from the
key the window keeps (``Headline.key``) rather than parsed again.

A table of buckets of ``WAYS`` slots, a title's bucket chosen by a 64-bit hash of the title
(Python's own: the table lives in memory only, as ``KeyTable``'s), 12 bytes a slot. A title
that finds its bucket full takes the slot of the bucket's oldest title (the least entry: the
window numbers its entries as it adds them), so the table keeps the latest titles, not those
that happened to land in an empty slot. It starts small and doubles while more than half of
its slots are taken, up to ``SLOTS``: a window of few titles holds a table of their size. A
match of the hash is taken as the title (two titles of the table sharing 64 bits: odds about
1 in 10^14 a lookup). Entries are renumbered when the window compacts: the table is emptied
then (``Window.compactions`` says when).
"""

from __future__ import annotations

from array import array

# Titles kept at most: a day of a thousand feeds' new items, the span over which outlets
# repeat a wire story's title; 768 kB.
SLOTS = 1 << 16
WAYS = 4
_FIRST_SLOTS = 1 << 10
_EMPTY = 0  # a title hashing to 0 is never kept


class RecentTitles:
    """Title -> the entry of the last headline added under it, for the last ``slots``
    titles or so."""

    def __init__(self, slots: int = SLOTS) -> None:
        if slots < 1 or slots & (slots - 1):
            raise ValueError("slots must be a power of two")
        self._most = max(slots, WAYS)
        self._compactions = 0
        self._taken = 0
        self._mask = 0
        self._hashes = array("q")
        self._entries = array("I")
        self._empty(min(_FIRST_SLOTS, self._most))

    def get(self, title: str, compactions: int) -> int | None:
        """The entry added last under ``title``; ``compactions``: the window's count
        (``Window.compactions``), which empties the table when it has moved on."""
        if compactions != self._compactions:
            self._clear(compactions)
            return None
        hashed = hash(title)
        if hashed == _EMPTY:
            return None
        hashes = self._hashes
        first = (hashed & self._mask) * WAYS
        for slot in range(first, first + WAYS):
            if hashes[slot] == hashed:
                return self._entries[slot]
        return None

    def put(self, title: str, entry: int, compactions: int) -> None:
        """``title``'s headline is entry ``entry`` of the window (``compactions``: as
        ``get``)."""
        if compactions != self._compactions:
            self._clear(compactions)
        hashed = hash(title)
        if hashed == _EMPTY:
            return
        self._place(hashed, entry)
        slots = len(self._hashes)
        if self._taken * 2 > slots and slots < self._most:
            self._grow()

    def _place(self, hashed: int, entry: int) -> None:
        hashes, entries = self._hashes, self._entries
        first = (hashed & self._mask) * WAYS
        oldest = first
        for slot in range(first, first + WAYS):
            held = hashes[slot]
            if held == hashed:
                entries[slot] = entry
                return
            # A bucket fills from its first slot and is only ever emptied whole: past an
            # empty slot there is no title.
            if held == _EMPTY:
                self._taken += 1
                hashes[slot] = hashed
                entries[slot] = entry
                return
            if entries[slot] < entries[oldest]:
                oldest = slot
        hashes[oldest] = hashed
        entries[oldest] = entry

    def _grow(self) -> None:
        # Twice the buckets: a bucket's titles split between two, none is lost.
        hashes, entries = self._hashes, self._entries
        self._empty(2 * len(hashes))
        for slot in range(len(hashes)):
            if hashes[slot] != _EMPTY:
                self._place(hashes[slot], entries[slot])

    def _empty(self, slots: int) -> None:
        self._hashes = array("q", [_EMPTY]) * slots
        self._entries = array("I", [0]) * slots
        self._mask = slots // WAYS - 1
        self._taken = 0

    def _clear(self, compactions: int) -> None:
        self._empty(min(_FIRST_SLOTS, self._most))
        self._compactions = compactions

    def memory_bytes(self) -> int:
        return self._hashes.itemsize * len(self._hashes) + self._entries.itemsize * len(
            self._entries
        )
