"""The story window's storage: its headlines in flat arrays, added one at a time, and what
finds read of them (``StoryIndex``, in index.py, finds stories in it). Loaded in bulk at start
by bulkload.py, evicted by time and compacted by eviction.py: both work on these arrays.

Memory is what limits a window of a million headlines, so entries live in flat arrays, not
objects: story id, seen time (whole seconds), the story's first entry and last-seen time; the
parsed headlines and the postings of their words are kept by ``Headlines`` (headlines.py).
Item ids are not kept (nothing reads them). GUIDs and URLs are kept as 64-bit hashes
(``KeyTable``), in one namespace: a GUID that is another item's canonical URL names the same
article, and a feed whose GUIDs are its links (most) costs one key an item, not two. The
words of each headline are a key of ``WordTable``: a wire copy is found in one lookup.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import Headline
from monitor.dedup.headlines import Headlines
from monitor.dedup.keytable import KeyTable, shared_guid
from monitor.dedup.wordtable import WordTable, words_hash

assert array("q").itemsize == 8 and array("I").itemsize == 4  # numpy reads them as such
STORY: dict[str, type[np.generic]] = {"I": np.uint32, "q": np.int64}  # typecode -> numpy's
MAX_U32 = 2**32 - 1


def sorted_words(words: Sequence[str]) -> str:
    """The words in sorted order, joined by spaces: what the token ratios compare."""
    return " ".join(sorted(words))


def seconds(at: datetime | float) -> float:
    """UNIX seconds of a datetime or a number of seconds."""
    return at.timestamp() if isinstance(at, datetime) else float(at)


def np_view(values: array[int] | bytearray, dtype: type[np.generic]) -> npt.NDArray[Any]:
    """A view of ``values`` (no copy; it must not outlive a change of their length)."""
    return np.frombuffer(values, dtype=dtype)


def _least(holds: Callable[[int], bool], near: float) -> int:
    """The least second of the 32-bit range (0 to 2**32 - 1) for which ``holds`` (false
    below some second, true from it on), 2**32 for none; ``near``: within a second or two
    of it, or outside the range."""
    if math.isfinite(near):
        guess = min(max(math.ceil(near), 0), MAX_U32 + 1)
    else:
        guess = 0 if near < 0 else MAX_U32 + 1
    while guess > 0 and holds(guess - 1):
        guess -= 1
    while guess <= MAX_U32 and not holds(guess):
        guess += 1
    return guess


class Window:
    """The headlines, URLs and GUIDs of the story window, and the postings of their words."""

    def __init__(self, config: DedupConfig) -> None:
        self.config = config
        # Story ids fit 32 bits for thousands of years of news; a larger one widens the array.
        self._story = array("I")
        # 32-bit where it is enough ("L" is 64-bit on Linux): at a million headlines every
        # byte per entry or posting counts.
        self._seen = array("I")  # UNIX seconds
        self._first = array("I")  # entry id of the story's first headline in the window
        # At a story's first entry: when the story last had a new item (UNIX seconds): 4 bytes
        # an entry, far less than a per-story dict.
        self._latest = array("I")
        # 1: the entry's words were found to score ``first_threshold`` against its story's
        # first headline (0: not known). Its copies with the same words need not ask again.
        self._agrees = bytearray()
        self.headlines = Headlines()
        self._keys = KeyTable()
        self._words = WordTable(self._same_words)
        self._horizon = -math.inf  # entries seen before it are evicted
        self._live = 0
        self._evicted = 0  # evicted entries not yet compacted away
        # The story of the last find or add and its first entry: add needs it to know a
        # story's first headline without a story -> entry map (a dict entry
        # a story). rebuild_index adds a story's items one after the other for the same reason.
        self._last: tuple[int, int] = (-1, -1)
        self._last_agreed = ""  # sorted words found to agree with that story's first
        self._hashed: tuple[str, int] = ("", 0)  # the last words looked up, and their key
        self.compactions = 0  # times the entries were renumbered

    def __len__(self) -> int:
        return self._live

    @property
    def entries(self) -> int:
        """Entries stored, evicted ones not yet compacted away included."""
        return len(self._story)

    def alive(self, entry: int) -> bool:
        return self._seen[entry] >= self._horizon  # evict moves the horizon, nothing else

    def story_of(self, entry: int) -> int:
        return self._story[entry]

    def first_of(self, entry: int) -> int:
        """The entry of the first headline in the window of ``entry``'s story."""
        return self._first[entry]

    def by_key(self, key: str, seen: float) -> int | None:
        """The live entry whose GUID or canonical URL is ``key``, in the window of ``seen``."""
        entry = self._keys.get(key)
        if entry is None or not self.alive(entry):
            return None
        return entry if abs(seen - self._seen[entry]) <= self.config.window else None

    def same_words(
        self, text: str, seen: float, words: Sequence[str], like: int = -1
    ) -> int | None:
        """The newest entry whose headline has the words of the sorted ``text``
        (``sorted_words``), if it can be joined at ``seen`` (as ``joinable`` says).
        ``words``: the same words, as parsed (their hashes are known already); ``like``: an
        entry known to have them (the same title's), whose text need not be compared."""
        texts = self.headlines.sorted_text
        hashed = words_hash(words)
        self._hashed = (text, hashed)  # the add that follows a find puts the same words
        entry = self._words.get(hashed, lambda e: e == like or texts(e) == text)
        return None if entry is None or not self.can_join(entry, seen) else entry

    def _same_words(self, entry: int, hashed: int) -> bool:
        return words_hash(self.headlines.words(entry)) == hashed

    def can_join(self, entry: int, seen: float) -> bool:
        """``joinable`` for one entry."""
        at = float(self._seen[entry])
        if at < self._horizon or abs(at - seen) > self.config.window:
            return False
        quiet = self.config.quiet
        return not quiet or seen - self._latest[self._first[entry]] <= quiet

    def weighed(
        self, entries: Sequence[int], weights: Sequence[float], words: int, seen: float
    ) -> list[tuple[float, int]]:
        """Of ``entries``, those that ``can_join`` at ``seen``, each as its weight for its
        length and a headline of ``words`` words, ``weights[i] / (words + length)``, and
        the entry (``candidates`` ranks a few drawn ones by it): one loop, for a few."""
        at_of, first_of, latest_of = self._seen, self._first, self._latest
        start = self.headlines.starts
        horizon, window, quiet = self._horizon, self.config.window, self.config.quiet
        out = []
        for entry, weight in zip(entries, weights, strict=True):
            at = at_of[entry]  # (an int: compared and subtracted exactly as its float)
            if at < horizon or abs(at - seen) > window:
                continue
            if quiet and not seen - latest_of[first_of[entry]] <= quiet:
                continue
            out.append((weight / (words + (start[entry + 1] - start[entry])), entry))
        return out

    def remember(self, story_id: int, first: int, agreed: str = "") -> None:
        """The story an item was just found to join, and its first entry: the ``append``
        that follows knows the story's first headline from it. ``agreed``: the item's sorted
        words when they were found to agree with that first headline (``agrees``)."""
        self._last = (story_id, first)
        self._last_agreed = agreed

    def agrees(self, entry: int) -> bool:
        """Whether ``entry``'s words were found to agree with its story's first headline."""
        return self._agrees[entry] == 1

    def joinable(self, entries: npt.NDArray[np.uint32], seen: float) -> npt.NDArray[np.bool_]:
        """``can_join`` for many entries: alive, in the window of ``seen``, their story not
        closed (quiet too long)."""
        # Times are whole seconds: each test of ``can_join`` holds for the seconds from one
        # to another (its float arithmetic is monotonic), found once here, so the arrays
        # are compared with two integers rather than computed on.
        window, horizon = self.config.window, self._horizon
        lo = _least(
            lambda s: s >= horizon and float(s) - seen >= -window, max(seen - window, horizon)
        )
        hi = _least(lambda s: float(s) - seen > window, seen + window) - 1
        quiet = self.config.quiet
        latest = _least(lambda s: seen - float(s) <= quiet, seen - quiet) if quiet else 0
        if lo > hi or latest > MAX_U32:
            return np.zeros(len(entries), dtype=np.bool_)
        seen_of = np_view(self._seen, np.uint32)[entries]
        ok = (seen_of >= lo) & (seen_of <= hi)
        if quiet:
            firsts = np_view(self._first, np.uint32)[entries]
            ok &= np_view(self._latest, np.uint32)[firsts] >= latest
        return ok

    def stories_of(self, entries: npt.NDArray[np.uint32]) -> npt.NDArray[Any]:
        return np_view(self._story, STORY[self._story.typecode])[entries]

    def append(
        self,
        story_id: int,
        headline: Headline,
        text: str,
        seen_at: datetime | float,
        canonical_url: str | None,
        guid: str | None,
        like: int = -1,
        key: str = "",
    ) -> str:
        """Store one item of story ``story_id`` (as ``StoryIndex.add`` says); its key.
        ``text``: the headline's words, sorted (``sorted_words``); ``like`` and ``key``: an
        entry with the same headline, and its key (``Headlines.add``)."""
        entry = len(self._story)
        seen = min(max(0, math.floor(seconds(seen_at))), MAX_U32)
        last_story, last_first = self._last
        first = last_first if last_story == story_id and last_first >= 0 else entry
        agreed = first == last_first and first != entry and text == self._last_agreed
        self._last, self._last_agreed = (story_id, first), ""
        if story_id > MAX_U32 and self._story.typecode == "I":
            self._story = array("q", self._story)
        self._story.append(story_id)
        self._seen.append(seen)
        self._first.append(first)
        self._latest.append(seen)
        self._agrees.append(agreed)
        if first != entry and seen > self._latest[first]:
            self._latest[first] = seen  # the story goes on: it stays open
        key = self.headlines.add(headline, like, key)
        if headline.text:
            found, hashed = self._hashed
            if found == text:  # find compared these words: the texts it read are at hand
                texts = self.headlines.sorted_text
                self._words.put(hashed, entry, lambda e: e == like or texts(e) == text)
            else:
                self._words.put(words_hash(headline.words), entry)
        if seen >= self._horizon:
            self._live += 1
        else:  # seen before the horizon (a late, backdated item): evicted at birth
            self._evicted += 1
        if canonical_url:
            self._keys.put(canonical_url, entry)
        guid = shared_guid(guid)
        if guid and guid != canonical_url:
            self._keys.put(guid, entry)
        return key

    def reserve(self, items: int) -> None:
        """Make room for ``items`` more items before a ``load`` (their GUIDs and URLs, and
        the words of their headlines)."""
        self._keys.reserve(items)
        self._words.reserve(items)

    def memory_bytes(self) -> int:
        """The size of the index in bytes (arrays, postings, key and word tables), estimated."""
        arrays = (self._story, self._seen, self._first, self._latest)
        size = sum(a.itemsize * len(a) for a in arrays) + len(self._agrees)
        tables = self._keys.memory_bytes() + self._words.memory_bytes()
        return size + self.headlines.memory_bytes() + tables
