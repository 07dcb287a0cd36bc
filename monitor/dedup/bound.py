"""The bound on a candidate's score that orders the candidates ``StoryIndex.find`` scores.

The score is the blend of the token set and token sort ratios (``set_weight``) less
penalties: the blend itself, computed in C (rapidfuzz), bounds it from above, and a
candidate whose bound misses the threshold is dropped before the full score (which rebuilds
its parsed headline).

The texts compared have their words in sorted order already (``Headlines.sorted_text``):
the token sort ratio is then the plain ratio, and the token set ratio is the same (it sorts
them too). The sort ratio is computed for every candidate; the set ratio,
the dearer one, only for the candidates ``find`` gets to: most finds stop at the first
candidate scored (a copy of a story running), and the set ratio of the rest would be wasted.
Until its set ratio is known, a candidate stands in the order at the bound the set ratio
can at most give (100), so the order is the same as if every bound were known.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator

import numpy as np
from rapidfuzz import fuzz, process

# Candidates whose sort ratios are computed one call each rather than in one ``cdist``: for
# a few, its fixed cost and numpy's on the result are most of the work (same doubles).
_FEW = 16
# Rounding between the bound and the score: a candidate that could beat the best score by
# less than this is a tie, and a tie does not replace the story found first.
SLACK = 1e-9


class Floor:
    """The bound a candidate must now be above to be worth asking for: ``StoryIndex.find``
    raises it to its best score so far (and ``SLACK``), and stops at the first candidate
    that is not. ``by_bound`` then stops too, once no candidate left can be above it: the
    set ratios of those it would have gone on to compute are never read."""

    __slots__ = ("bound",)

    def __init__(self) -> None:
        self.bound = -math.inf


def by_bound(
    query: str, texts: list[str], set_weight: float, threshold: float, floor: Floor | None = None
) -> Iterator[tuple[int, float]]:
    """The positions in ``texts`` whose bound reaches ``threshold``, each with its bound,
    the best first (ties: the earlier position first). ``query`` and ``texts`` have their
    words sorted; the set ratios are computed as the positions are asked for. With a
    ``floor``, it stops once no position left can be above it, and may yield none that is
    not: a caller stops at the first such anyway."""
    if not texts:
        return
    floor = floor or Floor()
    reach = threshold - SLACK
    rest = 1 - set_weight
    top = set_weight * 100.0  # the bound with a set ratio of 100: a candidate's ceiling
    # In doubles, as the score computes them: the same ratios, blended alike. Positions by
    # ceiling, best first (ties: the earlier first: both sorts are stable).
    if len(texts) <= _FEW:
        ratio = fuzz.ratio
        ratios = [ratio(query, text) for text in texts]
        ceilings = [top + rest * r for r in ratios]
        order = sorted(range(len(texts)), key=ceilings.__getitem__, reverse=True)
    else:
        by_sort = process.cdist([query], texts, scorer=fuzz.ratio, dtype=np.float64)[0]
        ceiling = top + rest * by_sort
        order = (-ceiling).argsort(kind="stable").tolist()
        ceilings, ratios = ceiling.tolist(), by_sort.tolist()
    # A bound is never above its ceiling, so a known bound goes out once no ceiling left
    # is above it.
    known: list[tuple[float, int]] = []  # (-bound, position): a heap
    set_ratio, push, pop = fuzz.token_set_ratio, heapq.heappush, heapq.heappop
    for at in order:
        ceiling = ceilings[at]
        if ceiling < reach:
            break  # nor can any after it reach the threshold
        if ceiling <= floor.bound:
            break  # nor can any after it be above the floor (a bound is at most its ceiling)
        while known and (-known[0][0], -known[0][1]) >= (ceiling, -at):
            negative, done = pop(known)
            yield done, -negative
        bound = set_weight * set_ratio(query, texts[at]) + rest * ratios[at]
        if bound >= reach:
            push(known, (-bound, at))
    while known:
        negative, done = pop(known)
        yield done, -negative
