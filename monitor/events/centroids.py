"""The events' centroids scored: an item's words against an event's, each word weighted by
its rarity among the open events (``Rarity``), the events' norms kept and summed again only
when stale, a big event's centroid trimmed to its heaviest words, and the title closest to
its centroid chosen. ``EventIndex`` (cluster.py) decides with these scores; ``Centroids``
holds no state of its own: it reads the index's ``EventWords`` and events.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from monitor.events.event import Event
from monitor.events.postings import EventWords, Rarity
from monitor.events.words import Shared, Vector

# Words an event's centroid keeps (the heaviest): a big event's coverage adds hundreds, and
# the tail costs time at every score while saying little.
CENTROID_WORDS = 64
MIN_SHARED = 2  # words an item and an event must have in common while ...
LEARNED = 500  # ... fewer items than this have taught the index which words are rare
# Items read since start (``EventWords.docs``): learnt once, a daemon stays learned however
# small its window gets; a restarted one reads its window's items again, so it is learned
# when that window holds ``LEARNED`` (else as it reads more), and not on news it forgot.


class Centroids:
    """Scores of the index's events: ``words`` and ``events`` are the ``EventIndex``'s own
    (the same objects, which it changes in place and never replaces)."""

    def __init__(self, words: EventWords, events: dict[int, Event]) -> None:
        self._words = words
        self._events = events

    def rarity(self) -> Rarity:
        return self._words.rarity(len(self._events))

    def weighted(self, vector: Vector) -> tuple[Vector, float, Vector]:
        """The item's words weighted by rarity, the norm of that (once per item), and the
        rarity of each word."""
        rarity = self.rarity()
        postings, weight_of = rarity.postings, rarity.by_holders  # ``Rarity``'s lookup, inlined
        idf = {w: weight_of[len(postings.get(w, ()))] for w in vector}
        weighted = {w: weight * idf[w] for w, weight in vector.items()}
        return weighted, math.sqrt(sum([w * w for w in weighted.values()])), idf

    def norm(self, event: Event) -> float:
        """The event's norm, summed again when it is stale (the event changed, or the rarity
        of words has moved: a tenth more items seen); the rest of the time it is read."""
        docs, norm_docs = self._words.docs, event.norm_docs
        if norm_docs == 0 or docs > norm_docs * 1.1 + 10:  # stale
            # ``Rarity``'s lookup, inlined, from the postings lists the event keeps
            weight_of = self.rarity().by_holders
            held = event.held
            if len(held) != len(event.words):
                raise ValueError("an event's postings lists are not its words'")
            # the squares summed in order, as ``sum`` of them (a loop compiled code runs on
            # unboxed floats, where it runs ``zip``, ``map`` and a list as Python would)
            total = 0.0
            for i, x in enumerate(event.words.values()):
                total += (x * weight_of[len(held[i])]) ** 2
            event.norm = math.sqrt(total)
            event.norm_docs = docs
        return event.norm

    def cosine(self, vector: Vector, event: Event) -> float:
        """The cosine of ``vector``'s words, weighted by rarity, with the event's, as
        ``EventIndex.find`` scores a candidate (the same sums in the same order): 0 when they
        share fewer than ``MIN_SHARED`` words before ``LEARNED`` items have been seen (until
        then every word looks rare, and one word in common, "summit", would score as a
        happening)."""
        dot, squares, shared = _sums(vector.items(), event.words, self.rarity())
        if dot == 0.0 or (shared < MIN_SHARED and self._words.docs < LEARNED):
            return 0.0
        return dot / (math.sqrt(sum(squares)) * self.norm(event))

    def trim(self, event: Event) -> None:
        """Keep the heaviest ``CENTROID_WORDS`` words of a big event (the others are its
        long tail of single mentions); their postings drop it at the next
        ``EventIndex.evict``."""
        weight_of = self.rarity().by_holders  # ``Rarity``'s lookup, inlined (as ``norm``)
        words: list[tuple[str, Shared]] = list(event.words.items())
        held = event.held
        if len(held) != len(words):
            raise ValueError("an event's postings lists are not its words'")
        weights = [x * weight_of[len(held[i])] for i, x in enumerate(event.words.values())]
        # sorted as the (word, weight) pairs by weight would be: the first of equals first
        order = sorted(range(len(words)), key=weights.__getitem__, reverse=True)
        heaviest = order[:CENTROID_WORDS]
        event.words = dict([words[i] for i in heaviest])
        event.held = [held[i] for i in heaviest]

    def closest(self, event: Event) -> str:
        """The first of the event's titles that ``cosine`` scores highest (as ``max`` of
        them by it), the event's norm read once."""
        words = event.words
        unlearned = self._words.docs < LEARNED
        if len(event.titles) == 1:  # the only choice, whatever its score: most events
            only = event.titles[0]
            # Its norm summed as scoring it would (when its score is not 0): later scores
            # read that norm until it is stale.
            shared = sum([word in words for word in only.words])
            if shared >= (MIN_SHARED if unlearned else 1):
                self.norm(event)
            return only.title
        idf = self.rarity()
        event_norm = None  # read at the first score that needs it, as ``cosine`` does
        best, best_score = "", -math.inf
        for choice in event.titles:
            dot, squares, shared = _sums(choice.weighted(), words, idf)
            if dot == 0.0 or (shared < MIN_SHARED and unlearned):
                score = 0.0
            else:
                if event_norm is None:
                    event_norm = self.norm(event)
                score = dot / (math.sqrt(sum(squares)) * event_norm)
            if score > best_score:
                best, best_score = choice.title, score
        return best


def _sums(
    vector: Iterable[tuple[str, float]], words: dict[str, float], idf: Rarity
) -> tuple[float, list[float], int]:
    """``cosine``'s sums for ``vector`` (its words and weights) against an event's
    ``words``: the dot product, the squares of its weighted words (summed by the caller, in
    this order) and how many words they share."""
    squares = []
    dot = 0.0
    shared = 0
    postings, weight_of = idf.postings, idf.by_holders  # ``Rarity``'s lookup, inlined
    for word, x in vector:
        rarity = weight_of[len(postings.get(word, ()))]
        weight = x * rarity
        squares.append(weight * weight)
        other = words.get(word)
        if other is not None:
            dot += weight * other * rarity
            shared += 1
    return dot, squares, shared
