"""Posting lists in C: the set operations the story index cannot afford a Python loop for.

A posting is the sorted ``array("I")`` of the entries (headlines) that hold a word. At a
million headlines a common word's posting has thousands of entries: intersecting two of them
costs milliseconds in Python and tens of microseconds with numpy (``searchsorted`` of the
shorter into the longer). The arrays are read in place (``np.frombuffer``, no copy); no view
outlives the call, since an ``array`` cannot grow while one is exported.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterator, Sequence

import numpy as np
import numpy.typing as npt

Entries = npt.NDArray[np.uint32]

assert array("I").itemsize == 4, "postings are read as uint32"

# An entry in k of the common postings is in k(k-1)/2 of their pairwise intersections.
MAX_COMMON = 6
_WORDS_OF_PAIRS_LOOKUP = np.zeros(MAX_COMMON * (MAX_COMMON - 1) // 2 + 1, dtype=np.intp)
for _k in range(2, MAX_COMMON + 1):
    _WORDS_OF_PAIRS_LOOKUP[_k * (_k - 1) // 2] = _k
_NONE = np.zeros(0, dtype=np.uint32)


def _view(posting: array[int]) -> Entries:
    return np.frombuffer(posting, dtype=np.uint32)


def _member(entries: Entries, posting: Entries) -> npt.NDArray[np.bool_]:
    """Which of ``entries`` are in the sorted ``posting``."""
    at = np.searchsorted(posting, entries)
    at[at == len(posting)] = 0
    return np.asarray(posting[at] == entries)


_SMALL = 128  # postings in all: a Counter in C beats numpy's fixed cost below this


def shared_by(rare: Sequence[array[int]], common: Sequence[array[int]], need: int) -> list[int]:
    """The entries sharing at least ``need`` words with a headline, the most first.

    ``rare`` are the postings of the headline's words that draw candidates, ``common`` those
    of its commoner words (at most ``MAX_COMMON``): an entry gains one for each common
    posting it is in, and one sharing no rare word is drawn when it is in ``need`` of the
    common postings (one shared word is a topic, not a story: ``score_headlines`` asks for
    ``min_shared``). Ties come oldest (lowest entry) first, whichever way they were counted.
    """
    if len(common) > MAX_COMMON:
        raise ValueError(f"at most {MAX_COMMON} common postings")
    if not common and sum(map(len, rare)) <= _SMALL:
        shared: Counter[int] = Counter()
        for posting in rare:
            shared.update(posting)
        return [e for _, e in sorted((-n, e) for e, n in shared.items() if n >= need)]
    drawn, counts = _runs(np.concatenate([_view(p) for p in rare] or [_NONE]))
    views = [_view(p) for p in common]
    for view in views:
        if len(view) < len(drawn):  # search the shorter in the longer
            at = np.searchsorted(drawn, view)
            at[at == len(drawn)] = 0
            counts[at[drawn[at] == view]] += 1
        else:
            counts += _member(drawn, view)
    pairs = []
    for i, a in enumerate(views):
        for b in views[i + 1 :]:
            short, long = (a, b) if len(a) <= len(b) else (b, a)
            pairs.append(short[_member(short, long)])
    if pairs:
        extra, in_pairs = _runs(np.concatenate(pairs))
        fresh = ~_member(extra, drawn) if len(drawn) else slice(None)
        drawn = np.concatenate([drawn, extra[fresh]])
        counts = np.concatenate([counts, _WORDS_OF_PAIRS_LOOKUP[in_pairs[fresh]]])
    chosen = counts >= need
    drawn, counts = drawn[chosen], counts[chosen]
    return drawn[np.lexsort((drawn, -counts))].tolist()  # type: ignore[no-any-return]


def _runs(entries: Entries) -> tuple[Entries, npt.NDArray[np.intp]]:
    """The distinct entries of ``entries`` (sorted) and how often each occurs."""
    if not len(entries):
        return entries, np.zeros(0, dtype=np.intp)
    entries = np.sort(entries)
    starts = np.empty(len(entries), dtype=np.bool_)
    starts[0] = True
    np.not_equal(entries[1:], entries[:-1], out=starts[1:])
    at = np.flatnonzero(starts)
    return entries[at], np.diff(np.append(at, len(entries)))


def group(keys: Sequence[str], base: int) -> Iterator[tuple[str, bytes]]:
    """The postings of the headlines ``keys`` (entries ``base`` on), word by word.

    Each distinct word once, with its entries as ``array("I")`` bytes, in order and without
    repeats. The words are grouped by their hash in numpy rather than one dict lookup per
    word in Python (seven million of them at a million headlines, the rebuild's dearest
    step); should two distinct words of the batch share a 64-bit hash (or one the separator's),
    they are grouped one by one instead.
    """
    words = " \0 ".join(keys).replace("^", "").split()
    hashes = np.fromiter(map(hash, words), dtype=np.int64, count=len(words))
    sep = hashes == hash("\0")
    entries = (np.cumsum(sep) + base).astype(np.uint32)
    at = np.flatnonzero(~sep)
    distinct = set(words)
    distinct.discard("\0")
    if not len(at):
        return
    order = at[np.argsort(hashes[at], kind="stable")]  # by word, each word's entries in order
    hashes, entries = hashes[order], entries[order]
    new_word = np.empty(len(order), dtype=np.bool_)
    new_word[0] = True
    np.not_equal(hashes[1:], hashes[:-1], out=new_word[1:])
    starts = np.flatnonzero(new_word)
    if len(distinct) != len(starts) or int(sep.sum()) != len(keys) - 1:
        yield from _group_slowly(words, base)
        return
    keep = new_word.copy()  # a word twice in one headline is posted once
    keep[1:] |= entries[1:] != entries[:-1]
    data = entries[keep].tobytes()
    ends = np.append(np.cumsum(keep)[starts[1:] - 1], np.count_nonzero(keep)).tolist()
    begin = 0
    for start, end in zip(order[starts].tolist(), ends, strict=True):
        yield words[start], data[4 * begin : 4 * end]
        begin = end


def _group_slowly(words: list[str], base: int) -> Iterator[tuple[str, bytes]]:
    grouped: dict[str, array[int]] = {}
    entry = base
    for word in words:
        if word == "\0":
            entry += 1
            continue
        posting = grouped.setdefault(word, array("I"))
        if not posting or posting[-1] != entry:
            posting.append(entry)
    for word, posting in grouped.items():
        yield word, posting.tobytes()
