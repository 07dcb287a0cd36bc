"""Two items side by side: would they be one event? (``monitor dedup-check`` says it.)"""

from __future__ import annotations

from typing import NamedTuple

from monitor.dedup.headline import parse
from monitor.events.cluster import EventIndex
from monitor.events.config import EventConfig
from monitor.events.words import item_vector, summary_words


class Comparison(NamedTuple):
    """Whether two items would be one event, and why: the score and the words shared."""

    score: float
    same_event: bool  # at ``threshold``: whenever the second comes
    same_if_recent: bool  # at ``recent_threshold``: within ``recent`` of the first
    shared: tuple[str, ...]  # the words both have, heaviest first (as compared: stemmed)


def compare(a: tuple[str, str], b: tuple[str, str], config: EventConfig) -> Comparison:
    """Would item ``b`` (headline, summary) join an event made of item ``a`` alone?

    With no window to learn rarity from, every word weighs the same: the daemon, which
    knows which words are common, can judge a pair either way.
    """
    index = EventIndex(config, window=0.0)
    index.add(1, 1, a[0], a[1], 0.0)
    va = item_vector(parse(a[0]), summary_words(a[1], config), config)
    vb = item_vector(parse(b[0]), summary_words(b[1], config), config)
    shared = sorted(set(va) & set(vb), key=lambda w: -(va[w] * vb[w]))
    score = index._centroids.cosine(vb, index._events[1])
    return Comparison(
        score, score >= config.threshold, score >= config.recent_threshold, tuple(shared)
    )
