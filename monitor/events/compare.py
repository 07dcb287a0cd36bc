"""Two items side by side: would they be one event? (``monitor dedup-check`` says it.)

``compare`` judges the pair alone, as the daemon's rules judge it in a window too young to
know which words are rare (``EventIndex.find``: below the threshold, two words in common
besides those news uses of many happenings); ``in_window`` asks an index holding the
daemon's window, which scores a story against all of its event's words (other stories',
summaries included) with each word weighted by its rarity there, and knows which names are
common in its news: it may join what the pair alone keeps apart, or keep apart a pair that
shares only such a name.
"""

from __future__ import annotations

import math
from typing import NamedTuple

from monitor.dedup.headline import parse_in
from monitor.dedup.languages import headline_language, language
from monitor.events.cluster import EventIndex
from monitor.events.config import EventConfig
from monitor.events.words import item_vector, summary_words


class Comparison(NamedTuple):
    """Whether two items would be one event, and why: the score and the words shared."""

    score: float
    same_event: bool  # at ``threshold``: whenever the second comes
    same_if_recent: bool  # within ``recent`` of the first: its bar and the rules below it
    shared: tuple[str, ...]  # the words both have, heaviest first (as compared: stemmed)
    # Within ``recent``, the score reaches ``recent_threshold`` but the rules for a join
    # below ``threshold`` refuse it (too few words in common besides common ones)
    refused: bool


def compare(a: tuple[str, str], b: tuple[str, str], config: EventConfig) -> Comparison:
    """Would item ``b`` (headline, summary) join an event made of item ``a`` alone?

    With no window to learn rarity from, every word weighs the same and the rules are
    those of a young window: the daemon, which knows which words are common, can judge a
    pair either way.
    """
    index = EventIndex(config, window=math.inf)
    index.add(1, 1, a[0], a[1], 0.0)
    # each headline in the language the daemon parses it in, its summary in the item's
    # (``events.vectors.of_feed_item``)
    va, vb = (
        item_vector(
            parse_in(title, headline_language(title, summary)),
            summary_words(summary, config, language(title, summary) if summary else None),
            config,
        )
        for title, summary in (a, b)
    )
    shared = sorted(set(va) & set(vb), key=lambda w: -(va[w] * vb[w]))
    score = index._centroids.cosine(vb, index._events[1])
    # the daemon's decision when ``b`` comes at once: the ``recent`` bar and its rules
    recent = index.find(2, b[0], b[1], 0.0).event_id == 1
    same = score >= config.threshold
    if config.recent <= 0:  # nothing is recent: one bar
        return Comparison(score, same, same, tuple(shared), False)
    refused = not recent and score >= config.recent_threshold
    return Comparison(score, same, recent, tuple(shared), refused)


class Placed(NamedTuple):
    """Where the daemon would put a headline: an event of its window (``event_id``), or
    none of them (None: a new event, or the one the first headline starts), with that
    event's title, the score and the words it rests on (none for a new event)."""

    event_id: int | None
    title: str
    score: float
    shared: tuple[str, ...]


class InWindow(NamedTuple):
    """What the daemon would do with two headlines arriving now, the first first."""

    items: int  # in its window
    first: Placed
    second: Placed
    same_event: bool


# Ids of the two headlines' stories (and of an event the first starts): none of the store's.
_A, _B = -1, -2


def in_window(index: EventIndex, items: int, a: str, b: str, now: float) -> InWindow:
    """What the daemon, its window of ``items`` items in ``index``, would do with headline
    ``a`` and then ``b`` arriving at ``now`` as new stories. Changes ``index``."""
    placed, events = [], []
    for story_id, title in ((_A, a), (_B, b)):
        found = index.find(story_id, title, "", now)
        event_id = _A if found.event_id is None else found.event_id
        shared: tuple[str, ...] = ()
        if found.event_id is not None:
            words = index._events[event_id].words
            vector = item_vector(parse_in(title, headline_language(title)), None, index.config)
            shared = tuple(sorted((w for w in vector if w in words), key=lambda w: -words[w]))
        stored = found.event_id is not None and found.event_id != _A
        index.add(event_id, story_id, title, "", now)
        kept = event_id if stored else None
        placed.append(Placed(kept, index.title(event_id), found.score, shared))
        events.append(event_id)
    return InWindow(items, placed[0], placed[1], events[0] == events[1])
