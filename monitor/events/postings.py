"""The words of the window's events, indexed: which events hold a word, and how rare it is."""

from __future__ import annotations

import math
from collections.abc import Container, Iterable

# The rarest words of a story that draw candidate events: a headline has about eight.
RARE_WORDS = 8
# Events looked at per word, the latest first: a word in thousands of events is common, and
# the events it names long ago are closed or far down the ranking anyway.
PER_WORD = 64


class EventWords:
    """Word -> the events whose words hold it (the latest last; events forgotten or trimmed
    away drop out at ``compact``), and how many items have held each word since start."""

    def __init__(self) -> None:
        self.docs = 0
        self._df: dict[str, int] = {}
        self._postings: dict[str, list[int]] = {}

    def items_with(self, word: str) -> int:
        return self._df.get(word, 0)

    def idf(self, word: str, events: int) -> float:
        """The weight of ``word`` among ``events`` events. Rarity among events, not items: a
        word in every item of one big event ("Titanfall") is the best evidence for that
        event, and one spread over many events is not."""
        return math.log((events + 1) / (len(self._postings.get(word, ())) + 1)) + 1.0

    def latest(self, word: str) -> list[int]:
        """The events holding ``word``, at most ``PER_WORD`` of the latest."""
        return self._postings.get(word, [])[-PER_WORD:]

    def seen(self, words: Iterable[str]) -> None:
        """Count an item's words."""
        self.docs += 1
        df = self._df
        for word in words:
            df[word] = df.get(word, 0) + 1

    def post(self, word: str, event_id: int) -> None:
        """``word`` is now one of event ``event_id``'s words."""
        self._postings.setdefault(word, []).append(event_id)

    def ranked(self, words: Iterable[str], events: int) -> list[int]:
        """The events sharing the rarest ``RARE_WORDS`` of ``words``, those sharing the most
        (weighted by rarity) first."""
        df = self._df
        rare = sorted((w for w in words if w in self._postings), key=lambda w: df.get(w, 0))
        shared: dict[int, float] = {}
        for word in rare[:RARE_WORDS]:
            idf = self.idf(word, events)
            for event_id in reversed(self._postings[word][-PER_WORD:]):
                shared[event_id] = shared.get(event_id, 0.0) + idf
        return sorted(shared, key=shared.__getitem__, reverse=True)

    def compact(self, holds: dict[int, Container[str]]) -> None:
        """Postings without the events no longer in ``holds`` (event -> its words) or whose
        words no longer hold the word (trimmed)."""
        postings: dict[str, list[int]] = {}
        for word, ids in self._postings.items():
            kept = [e for e in ids if e in holds and word in holds[e]]
            if kept:
                postings[word] = kept
        self._postings = postings
