"""The candidates of a new headline: the entries of the story window its words draw (the
postings of its rarest words, ``postings.shared_by``), those that can be joined, ranked by
the weight of the words they share for their length, at most ``PER_STORY`` a story and
``_PREFILTER_LIMIT`` in all (``StoryIndex.find``, in index.py, bounds and scores them)."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from monitor.dedup import postings as posting_ops
from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import Headline
from monitor.dedup.window import Window

# Candidates come from the postings of this many rarest words of a headline: all of them in
# a real headline (two headlines sharing their seventh and eighth rarest words can still
# score as one story).
RARE_WORDS = 12
# Common words of a headline counted (the least common first): each pair of them is
# intersected, which costs more than anything else a find does at a million headlines.
COMMON_WORDS = 4
# A story is judged on its headlines sharing the most with the new one, this many at most: a
# templated feed's story of thousands would take every place under the caps (all its
# headlines look alike), and a story's best few decide as well as all of them.
PER_STORY = 16
# Candidates bounded in C, at most (those sharing the rarest words): it bounds the cost of a
# headline made of common words, which draws thousands.
_PREFILTER_LIMIT = 64
# Candidates drawn, at most, that are ranked in Python rather than numpy: for a few, numpy's
# fixed cost per call is most of the work (the same arithmetic, the same order).
_FEW = 96


def candidates(window: Window, config: DedupConfig, headline: Headline, seen: float) -> list[int]:
    """The entries that share enough words with ``headline`` and can be joined at
    ``seen``, those sharing the most weight for their length first (the weight of a word
    is its inverse document frequency); at most ``_PREFILTER_LIMIT``, ``PER_STORY`` a
    story."""
    postings = window.headlines.postings
    distinct = dict.fromkeys(headline.words)  # in their order, not a set's (its hash seed)
    # The postings of its words in the window (none is empty), shortest first (ties: as
    # the words come, so that a restart draws what the process before drew).
    lists = sorted(filter(None, map(postings.get, distinct)), key=len)
    cap = config.max_postings
    rare = [p for p in lists if len(p) <= cap][:RARE_WORDS]
    need = min(config.min_shared, len(distinct))
    common = []
    if need > 1:
        common = lists[len(rare) : len(rare) + COMMON_WORDS]
    if not rare and len(common) < 2:
        return []
    total = window.entries + 1
    rare_weights = [math.log(total / len(p)) for p in rare]
    few = None
    if not common and sum(map(len, rare)) <= posting_ops.SMALL:
        # Few postings: counted in Python, and a few drawn ranked there too, with no numpy
        # arrays between.
        few = posting_ops.few_shared(rare, need, rare_weights)
    if few is not None:
        few_entries, counts, few_weights = few
        if len(few_entries) <= _FEW:  # (``_few`` ranks them whatever their order)
            return _few(window, few_entries, few_weights, len(distinct), seen)
        drawn = posting_ops.as_arrays(few_entries, counts, few_weights)
    else:
        drawn = posting_ops.shared_by(
            rare, common, need, cap, rare_weights, [math.log(total / len(p)) for p in common]
        )
    if not len(drawn.entries):
        return []
    if len(drawn.entries) <= _FEW:
        return _few(window, drawn.entries.tolist(), drawn.weights.tolist(), len(distinct), seen)
    # Dead entries and closed stories must not take the places of those that can join,
    # nor one story's headlines all of them.
    can = window.joinable(drawn.entries, seen)
    entries, weights = drawn.entries[can], drawn.weights[can]
    # The weight shared over the words of both headlines (a weighted Dice coefficient):
    # a long headline shares more by chance, and the score is over both.
    weights = weights / (len(distinct) + window.headlines.lengths_of(entries))
    many = 4 * _PREFILTER_LIMIT
    if len(entries) > many:  # a template or a big story drew thousands: the best of them
        top = np.sort(np.argpartition(-weights, many)[:many])  # entries stay ascending
        chosen = _capped(window, entries[top], weights[top])
        # Those are the first of all the entries, capped, unless the cap left fewer than
        # the limit (one story had most of the best): then the rest must be looked at.
        if len(chosen) >= _PREFILTER_LIMIT:
            return chosen
    return _capped(window, entries, weights)


def _few(
    window: Window, entries: list[int], weights: list[float], words: int, seen: float
) -> list[int]:
    """``candidates``'s ranking of a few drawn entries (``words``: the new headline's
    distinct words), in Python: those that can be joined, by weight for their length,
    largest first (ties: the newest first), at most ``PER_STORY`` a story."""
    ranked = sorted(window.weighed(entries, weights, words, seen), reverse=True)
    if len(ranked) <= PER_STORY:  # no story can have more than its share
        return [entry for _, entry in ranked[:_PREFILTER_LIMIT]]
    per_story: dict[int, int] = {}
    out = []
    for _, entry in ranked:
        story = window.story_of(entry)
        taken = per_story.get(story, 0)
        if taken < PER_STORY:
            per_story[story] = taken + 1
            out.append(entry)
    return out[:_PREFILTER_LIMIT]


def _capped(
    window: Window, entries: npt.NDArray[np.uint32], weights: npt.NDArray[np.float64]
) -> list[int]:
    """``entries`` (ascending) by ``weights``, largest first (ties: the newest first), at
    most ``PER_STORY`` a story and ``_PREFILTER_LIMIT``."""
    # Ascending entries, sorted stably by weight and reversed: ties newest first.
    ranked = entries[weights.argsort(kind="stable")[::-1]]
    # Each entry's place among its story's, in that order: the ranked entries grouped by
    # story (a stable sort keeps their order within a story), less where the group starts.
    # A big story has most of the best places (its copies look alike): a walk in Python
    # went through twice the limit, a story past its cap, to find the rest.
    stories = window.stories_of(ranked)
    by_story = stories.argsort(kind="stable")
    grouped = stories[by_story]
    at = np.arange(len(grouped))
    starts = np.empty(len(grouped), dtype=np.bool_)
    starts[:1] = True
    np.not_equal(grouped[1:], grouped[:-1], out=starts[1:])
    place = np.empty(len(grouped), dtype=np.intp)
    place[by_story] = at - np.maximum.accumulate(np.where(starts, at, 0))
    return list(ranked[place < PER_STORY][:_PREFILTER_LIMIT].tolist())
