"""The entries of the story window's last headlines by their title, so that a headline seen
again word for word (one wire story under the same title in many feeds) is rebuilt from the
key the window keeps (``Headline.key``) rather than parsed again.

A fixed table, direct-mapped by a 64-bit hash of the title (Python's own: the table lives in
memory only, as ``KeyTable``'s), 12 bytes a slot: a newer title takes an older one's slot. A
match of the hash is taken as the title (two titles of the table sharing 64 bits: odds about
1 in 10^14 a lookup). Entries are renumbered when the window compacts: the table is emptied
then (``Window.compactions`` says when).
"""

from __future__ import annotations

from array import array

# Titles kept: a day of a thousand feeds' new items, the span over which outlets repeat a
# wire story's title; 768 kB.
SLOTS = 1 << 16
_EMPTY = 0  # a title hashing to 0 is never kept


class RecentTitles:
    """Title -> the entry of the last headline added under it, for the last ``SLOTS``
    titles or so."""

    def __init__(self, slots: int = SLOTS) -> None:
        if slots < 1 or slots & (slots - 1):
            raise ValueError("slots must be a power of two")
        self._mask = slots - 1
        self._hashes = array("q", [_EMPTY]) * slots
        self._entries = array("I", [0]) * slots
        self._compactions = 0

    def get(self, title: str, compactions: int) -> int | None:
        """The entry added last under ``title``; ``compactions``: the window's count
        (``Window.compactions``), which empties the table when it has moved on."""
        if compactions != self._compactions:
            self._clear(compactions)
            return None
        hashed = hash(title)
        slot = hashed & self._mask
        if hashed == _EMPTY or self._hashes[slot] != hashed:
            return None
        return self._entries[slot]

    def put(self, title: str, entry: int, compactions: int) -> None:
        """``title``'s headline is entry ``entry`` of the window (``compactions``: as
        ``get``)."""
        if compactions != self._compactions:
            self._clear(compactions)
        hashed = hash(title)
        slot = hashed & self._mask
        self._hashes[slot] = hashed
        self._entries[slot] = entry

    def _clear(self, compactions: int) -> None:
        slots = self._mask + 1
        self._hashes = array("q", [_EMPTY]) * slots
        self._entries = array("I", [0]) * slots
        self._compactions = compactions

    def memory_bytes(self) -> int:
        return self._hashes.itemsize * len(self._hashes) + self._entries.itemsize * len(
            self._entries
        )
