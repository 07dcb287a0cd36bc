"""Posting lists in C: the set operations the story index cannot afford a Python loop for.

A posting is the sorted ``array("I")`` of the entries (headlines) that hold a word. At a
million headlines a common word's posting has thousands of entries: intersecting two of them
costs far more in a Python loop than with numpy (``searchsorted`` of the shorter into the
longer). The arrays are read in place (``np.frombuffer``, no copy); no view
outlives the call, since an ``array`` cannot grow while one is exported.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Sequence
from itertools import chain, compress
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

Entries = npt.NDArray[np.uint32]
Hashes = npt.NDArray[np.uint64]

assert array("I").itemsize == 4, "postings are read as uint32"

MAX_COMMON = 6  # common postings of one headline counted, at most
_MAX_RARE = 255  # rare postings of one headline, at most: a posting's place fits a byte
_PLACES = np.arange(_MAX_RARE, dtype=np.uint32)
# Common postings this many times ``cap`` long are not intersected: in 1 of 30 headlines of
# the window (at a million), such words are stop words in all but name.
_PAIR_SCAN = 16


def _view(posting: array[int]) -> Entries:
    return np.frombuffer(posting, dtype=np.uint32)


def _member(entries: Entries, posting: Entries) -> npt.NDArray[np.bool_]:
    """Which of ``entries`` are in the sorted ``posting``."""
    at = np.searchsorted(posting, entries)
    at[at == len(posting)] = 0
    return np.asarray(posting[at] == entries)


SMALL = 112  # postings in all: below this, a Counter in C beats numpy's fixed costs
# Postings of one entry that numpy sums one after the other (``np.add.reduceat``): from
# the ninth on, it sums a run's weights pairwise.
_SUMMED_IN_TURN = 8


class Drawn(NamedTuple):
    """The entries a headline's words drew (ascending), how many of its words each shares,
    and the sum of those words' weights."""

    entries: Entries
    counts: npt.NDArray[np.intp]
    weights: npt.NDArray[np.float64]


def as_arrays(entries: list[int], counts: list[int], weights: list[float]) -> Drawn:
    """``Drawn`` of lists (the entries in any order)."""
    drawn = Drawn(
        np.array(entries, dtype=np.uint32),
        np.array(counts, dtype=np.intp),
        np.array(weights, dtype=np.float64),
    )
    order = drawn.entries.argsort()
    return Drawn(drawn.entries[order], drawn.counts[order], drawn.weights[order])


def shared_by(
    rare: Sequence[array[int]],
    common: Sequence[array[int]],
    need: int,
    cap: int,
    rare_weights: Sequence[float],
    common_weights: Sequence[float],
) -> Drawn:
    """The entries sharing at least ``need`` words with a headline, with the weight of the
    words each shares (``rare_weights`` and ``common_weights``: one per posting).

    ``rare`` are the postings of the headline's words that draw candidates, ``common`` those
    of its commoner words (at most ``MAX_COMMON``): an entry gains one for each common
    posting it is in, and one sharing no rare word is drawn when it is in ``need`` of the
    common postings (one shared word is a topic, not a story: ``score_headlines`` asks for
    ``min_shared``), unless the two words are together in more than ``cap`` headlines: a
    pair that common is a template ("Feed 3 update 17") and draws none, as a word in more
    than ``cap`` draws none. Few postings are counted in Python, many in numpy (a templated
    feed can draw thousands, too many to sort in Python).
    """
    if len(common) > MAX_COMMON:
        raise ValueError(f"at most {MAX_COMMON} common postings")
    if len(rare) > _MAX_RARE:
        raise ValueError(f"at most {_MAX_RARE} rare postings")
    if not common and sum(map(len, rare)) <= SMALL:
        few = few_shared(rare, need, rare_weights)
        if few is not None:
            return as_arrays(*few)
    # Without common postings an entry's count is its rare postings': those in fewer than
    # ``need`` are dropped before their weights are summed (most entries are in one).
    drawn, counts, weights = _rare_runs(rare, rare_weights, 1 if common else need)
    if not common:
        return Drawn(drawn, counts, weights)
    commons = [_view(p) for p in common]
    for view, w in zip(commons, common_weights, strict=True):
        if len(view) < len(drawn):  # search the shorter in the longer
            at = np.searchsorted(drawn, view)
            at[at == len(drawn)] = 0
            hit = at[drawn[at] == view]
            counts[hit] += 1
            weights[hit] += w
        else:
            member = _member(drawn, view)
            counts += member
            weights += w * member
    pairs = []
    for i, a in enumerate(commons):
        for b in commons[i + 1 :]:
            short, long = (a, b) if len(a) <= len(b) else (b, a)
            if len(short) > _PAIR_SCAN * cap:  # near stop words, both: not worth the search
                continue
            both = short[_member(short, long)]
            if len(both) <= cap:
                pairs.append(both)
    if pairs:
        extra, _, _ = _runs(np.sort(np.concatenate(pairs)))
        if len(drawn):
            extra = extra[~_member(extra, drawn)]
        in_common = np.zeros(len(extra), dtype=np.intp)
        extra_weights = np.zeros(len(extra), dtype=np.float64)
        for view, w in zip(commons, common_weights, strict=True):
            member = _member(extra, view)
            in_common += member
            extra_weights += w * member
        order = np.argsort(np.concatenate([drawn, extra]), kind="stable")
        drawn = np.concatenate([drawn, extra])[order]
        counts = np.concatenate([counts, in_common])[order]
        weights = np.concatenate([weights, extra_weights])[order]
    keep = counts >= need
    return Drawn(drawn[keep], counts[keep], weights[keep])


def few_shared(
    rare: Sequence[array[int]], need: int, rare_weights: Sequence[float]
) -> tuple[list[int], list[int], list[float]] | None:
    """``shared_by`` without common postings, as lists: for a few rare postings (at most
    ``SMALL`` entries in all), where numpy's fixed cost per call is most of the work. The
    same entries (in no order), counts and weights, to the last bit (the candidates are
    ranked by them); None when an entry is in more than ``_SUMMED_IN_TURN`` postings."""
    # Counted and chosen by loops in C (a loop in Python over every entry drawn was most of
    # the cost).
    shared = Counter(chain.from_iterable(rare))
    kept = set(compress(shared, map(need.__le__, shared.values())))
    if not kept:
        return [], [], []
    counts = list(map(shared.__getitem__, kept))
    if max(counts) > _SUMMED_IN_TURN:
        return None
    # Summed as ``np.add.reduceat`` sums a run (``_runs``): the first weight plus the
    # others' (from -0.0, in turn), in the order of the postings.
    first: dict[int, float] = {}
    rest: dict[int, float] = {}
    for posting, w in zip(rare, rare_weights, strict=True):
        for e in kept.intersection(posting):
            if e in first:
                rest[e] = rest.get(e, -0.0) + w
            else:
                first[e] = w
    get = rest.get
    return list(kept), counts, [first[e] + get(e, -0.0) for e in kept]


def _rare_runs(
    rare: Sequence[array[int]], rare_weights: Sequence[float], least: int = 1
) -> tuple[Entries, npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    """The entries of the ``rare`` postings (ascending) held by at least ``least`` of them,
    how many of the postings hold each, and the sum of those postings' weights."""
    # Each posting's entries with its place among the postings in the low byte, sorted as
    # one array: sorting the values is several times cheaper than an argsort, and the order
    # is the same as a stable argsort's (an entry is once in a posting, its places ascend),
    # so the weights are summed in the same order. In 32 bits while the entries leave room
    # for the byte (a sort of half the bytes).
    flat = np.frombuffer(b"".join(rare), dtype=np.uint32)
    place = _PLACES[: len(rare)].repeat(list(map(len, rare)))
    if max((p[-1] for p in rare if len(p)), default=0) < 1 << 24:
        cat = flat << np.uint32(8)
        cat |= place
        cat.sort()
        entries, place = cat >> np.uint32(8), cat & np.uint32(0xFF)
    else:
        wide = flat.astype(np.uint64) << np.uint64(8)
        wide |= place
        wide.sort()
        entries = (wide >> np.uint64(8)).astype(np.uint32)
        place = (wide & np.uint64(0xFF)).astype(np.uint32)
    if least > 1 and len(entries):
        # An entry held by two postings or more is next to its own copy; the others are
        # dropped whole before the weights are gathered and summed (the entries kept
        # are summed over the same runs, in the same order).
        same = entries[1:] == entries[:-1]
        paired = np.zeros(len(entries), dtype=np.bool_)
        paired[1:] = same
        paired[:-1] |= same
        entries, place = entries[paired], place[paired]
    entries, counts, summed = _runs(entries, np.asarray(rare_weights, dtype=np.float64)[place])
    if least > 2:
        keep = counts >= least
        return entries[keep], counts[keep], summed[keep]
    return entries, counts, summed


def _runs(
    entries: Entries, weights: npt.NDArray[np.float64] | None = None
) -> tuple[Entries, npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    """The distinct entries of the sorted ``entries``, how often each occurs, and the sum of
    its ``weights`` (zeros without them)."""
    if not len(entries):
        return entries, np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float64)
    starts = np.empty(len(entries), dtype=np.bool_)
    starts[0] = True
    np.not_equal(entries[1:], entries[:-1], out=starts[1:])
    (at,) = starts.nonzero()
    counts = np.empty(len(at), dtype=np.intp)
    np.subtract(at[1:], at[:-1], out=counts[:-1])
    counts[-1] = len(entries) - at[-1]
    summed = np.add.reduceat(weights, at) if weights is not None else np.zeros(len(at), np.float64)
    return entries[at], counts, summed
