"""An item's words as events compare them: stems of its headline and summary, weighted."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any, NamedTuple

from monitor.dedup.headline import Headline, content_words, parse
from monitor.dedup.outlet import keeps_whole, strip_outlet
from monitor.events.config import EventConfig
from monitor.textfold import compatible

_SUMMARY_CHARS = 500  # of a summary read: its lede; the rest is detail (or page chrome)

Vector = dict[str, float]
# Where a weight is stored, a value typed ``Any`` keeps one float object for many words as
# Python does: compiled (mypyc), a ``float`` is a C double, boxed anew at each store, and an
# event's words then held a float of their own each (tests/test_events_word_memory.py).
Shared = Any


class Words(NamedTuple):
    """A text's words as an item's vector reads them: stems in order, and the names."""

    words: tuple[str, ...]
    names: frozenset[str]


def item_vector(
    headline: Headline | Words,
    summary: Headline | Words | None,
    config: EventConfig,
    entities: Iterable[str] = (),
) -> Vector:
    """An item's words: the headline's weigh 1 in all, the summary's ``summary_weight``;
    names and tracked entities ``name_weight`` times a word."""
    vector: dict[str, Shared] = {}
    for part, mass in ((headline, 1.0), (summary, config.summary_weight)):
        if part is None or not part.words or mass <= 0:
            continue
        names = part.names
        get = vector.get
        if not names or config.name_weight == 1.0:
            # Every word weighs 1 (their sum: the count; 1 times the scale: the scale).
            scale: Shared = mass / len(part.words)
            for word in part.words:
                held = get(word)
                vector[word] = scale if held is None else held + scale
            continue
        weights = [config.name_weight if w in names else 1.0 for w in part.words]
        scale = mass / sum(weights)
        # a word's weight times the scale, made once: the item's words share two floats
        name_scale: Shared = config.name_weight * scale
        for word in part.words:
            held = get(word)
            add = name_scale if word in names else scale
            vector[word] = add if held is None else held + add
    for entity in entities:
        key = "@" + entity.casefold()
        vector[key] = vector.get(key, 0.0) + config.name_weight / max(1, len(headline.words))
    return vector


def summary_words(
    summary: str, config: EventConfig, language: str | None = None
) -> Headline | Words | None:
    """The summary's words as a headline's are made (not cached: summaries do not repeat);
    its names only when they weigh more than a word (``item_vector`` reads nothing else).
    ``language``: the item's (``languages.language``), whose function words are left out."""
    text = summary[:_SUMMARY_CHARS].strip()
    if not text:
        return None
    if config.name_weight != 1.0:
        return parse.__wrapped__(text, language)
    return Words(content_words(text, language), frozenset())


# A new story's headline is read twice, for its words (``EventIndex.find``) and as a title
# (``EventIndex.add``); a copy under the same headline again.
@lru_cache(maxsize=64)
def segment_words(title: str) -> tuple[str, ...]:
    """The words of what story matching strips as an outlet's segment ("Titanfall - ",
    " | 'The Bachelor'"): to an event they may be its topic (``EventIndex`` keeps those that
    other headlines use as words of their own)."""
    title = compatible(title)
    if keeps_whole(title):  # most headlines: no segment to read
        return ()
    core = strip_outlet(title)
    rest = title.replace(core, " ", 1) if core else ""
    if not rest.strip(" -|–—:"):
        return ()
    return parse.__wrapped__(rest.replace("|", " ").replace("-", " ")).words
