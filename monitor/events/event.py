"""One event as the index keeps it: the summed words of its items and its title's choices."""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import repeat
from typing import NamedTuple

from monitor.events.semantic import Vectors
from monitor.events.words import Shared, Vector

# Headlines kept per event to choose its title from (the closest to its centroid).
TITLES = 12


class Title(NamedTuple):
    """A headline kept to choose the event's title from: its score when offered, its text,
    and its vector's words and their weights (in the vector's order): two flat sequences
    take about half the memory of the vector's dict and its float objects. Weights all
    equal (a headline with no name or entity weighted up: most) are that one float."""

    score: float
    title: str
    words: tuple[str, ...]
    weights: array[float] | float

    def weighted(self) -> Iterable[tuple[str, float]]:
        """Its words with their weights, in the vector's order."""
        if isinstance(self.weights, float):
            return zip(self.words, repeat(self.weights))
        return zip(self.words, self.weights, strict=True)


def _title(score: float, title: str, vector: Vector) -> Title:
    shared: dict[str, Shared] = vector  # its float objects kept, not copies
    weights = shared.values()
    first = next(iter(weights), 0.0)
    if all(weight == first for weight in weights):
        return Title(score, title, tuple(vector), first)
    return Title(score, title, tuple(vector), array("d", weights))


@dataclass(slots=True)
class Event:
    first_seen: float
    last_seen: float
    words: Vector = field(default_factory=dict)  # summed item vectors (before rarity weights)
    # The postings list (``EventWords``) of each of ``words``, in their order: the norm and
    # trim read how many events hold each word from these, not by looking each word up in
    # the window's postings (a dict of every word of every event) each time.
    held: list[list[int]] = field(default_factory=list)
    items: int = 0
    titles: list[Title] = field(default_factory=list)
    norm: float = 0.0  # of ``words`` weighted by rarity, as of ``norm_docs`` items (0: stale)
    norm_docs: int = 0
    meaning: Vectors | None = None  # summed embeddings of its stories' headlines (semantic)

    def offer_title(self, score: float, title: str, vector: Vector) -> None:
        """Keep a new story's headline among the title's choices if it is closer to the
        event (``score``) than the farthest kept (as each was when it came)."""
        if len(self.titles) < TITLES:
            self.titles.append(_title(score, title, vector))
            return
        worst = min(range(len(self.titles)), key=lambda i: self.titles[i][0])
        if score > self.titles[worst][0]:
            self.titles[worst] = _title(score, title, vector)
