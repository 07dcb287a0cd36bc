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
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

Entries = npt.NDArray[np.uint32]

assert array("I").itemsize == 4, "postings are read as uint32"

MAX_COMMON = 6  # common postings of one headline counted, at most
_MAX_RARE = 255  # rare postings of one headline, at most: a posting's place fits a byte
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


_SMALL = 200  # postings in all: below this, a Counter in C beats numpy's fixed costs


class Drawn(NamedTuple):
    """The entries a headline's words drew (ascending), how many of its words each shares,
    and the sum of those words' weights."""

    entries: Entries
    counts: npt.NDArray[np.intp]
    weights: npt.NDArray[np.float64]


def _drawn(entries: list[int], counts: list[int], weights: list[float]) -> Drawn:
    return Drawn(
        np.array(entries, dtype=np.uint32),
        np.array(counts, dtype=np.intp),
        np.array(weights, dtype=np.float64),
    )


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
    if not common and sum(map(len, rare)) <= _SMALL:
        shared: Counter[int] = Counter()
        for posting in rare:
            shared.update(posting)
        chosen = sorted(e for e, n in shared.items() if n >= need)
        if not chosen:
            return _drawn([], [], [])
        weight = dict.fromkeys(chosen, 0.0)
        for posting, w in zip(rare, rare_weights, strict=True):
            for e in posting:
                if e in weight:
                    weight[e] += w
        return _drawn(chosen, [shared[e] for e in chosen], list(weight.values()))
    # Each posting's entries with its place among the postings in the low byte, sorted as
    # one array: sorting the values is several times cheaper than an argsort, and the order
    # is the same as a stable argsort's (an entry is once in a posting, its places ascend),
    # so the weights are summed in the same order.
    cat = np.frombuffer(b"".join(rare), dtype=np.uint32).astype(np.uint64) << np.uint64(8)
    cat |= np.repeat(np.arange(len(rare), dtype=np.uint64), [len(p) for p in rare])
    cat.sort()
    by_word = np.asarray(rare_weights, dtype=np.float64)[(cat & np.uint64(0xFF)).astype(np.intp)]
    drawn, counts, weights = _runs((cat >> np.uint64(8)).astype(np.uint32), by_word)
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
    at = np.flatnonzero(starts)
    summed = np.add.reduceat(weights, at) if weights is not None else np.zeros(len(at), np.float64)
    return entries[at], np.diff(np.append(at, len(entries))), summed


class Vocabulary(dict[str, int]):
    """Token -> id, ids given in order of first use; ``tokens`` is id -> token, ``words``
    id -> the token's word (a name's token "^nato" is the word "nato")."""

    def __init__(self, tokens: Iterable[str] = ()) -> None:
        self.tokens = list(tokens)
        self.words = [t[1:] if t[:1] == "^" else t for t in self.tokens]
        super().__init__(zip(self.tokens, range(len(self.tokens)), strict=False))

    def __missing__(self, token: str) -> int:
        self[token] = len(self.tokens)
        self.tokens.append(token)
        self.words.append(token[1:] if token[:1] == "^" else token)
        return self[token]


class Indexed(NamedTuple):
    """What ``index_keys`` made of a batch of headline keys."""

    ids: Entries  # the token ids of all keys, one key after the other
    per_key: npt.NDArray[np.int64]  # how many tokens each key has
    postings: list[tuple[str, bytes]]  # each word once, its entries as array("I") bytes


def index_keys(keys: Sequence[str], base: int, vocabulary: Mapping[str, int]) -> Indexed:
    """The tokens of the headline keys ``keys`` (entries ``base`` on) as vocabulary ids, and
    the postings of their words (a name's token "^nato" is the word "nato").

    One split of all keys and one hash of each token; tokens and words are then grouped in
    numpy, and Python touches each distinct token of the batch once, not each token. A
    word's entries are in order and without repeats. Should two distinct tokens of the batch
    share a 64-bit hash (or one the separator's), the batch is grouped one token at a time
    instead. ``vocabulary`` gives a new token the next id.
    """
    tokens = " \0 ".join(keys).split()  # keys are words between single spaces, no NUL
    hashes = np.fromiter(map(hash, tokens), dtype=np.int64, count=len(tokens))
    sep = hashes == hash("\0")
    at = np.flatnonzero(~sep)
    entry = np.cumsum(sep)[at]  # key of each token
    per_key = np.bincount(entry, minlength=len(keys)).astype(np.int64)
    # The tokens grouped by hash, each group's positions in order (one stable sort).
    order = np.argsort(hashes[at], kind="stable")
    sorted_hashes = hashes[at][order]
    new_token = np.empty(len(order), dtype=np.bool_)
    new_token[:1] = True
    np.not_equal(sorted_hashes[1:], sorted_hashes[:-1], out=new_token[1:])
    starts = np.flatnonzero(new_token)
    distinct = set(tokens)
    distinct.discard("\0")
    if len(starts) != len(distinct) or int(sep.sum()) != max(0, len(keys) - 1):
        return _index_slowly(tokens, len(keys), base, vocabulary)
    if not len(at):  # keys without words (headlines of stop words only)
        return Indexed(np.zeros(0, dtype=np.uint32), per_key, [])
    group = np.empty(len(order), dtype=np.int64)
    group[order] = np.cumsum(new_token) - 1  # each token's group
    first = order[starts]  # a group's first position
    names = [tokens[i] for i in at[first].tolist()]
    # New tokens get their ids in order of first use, as ``add`` one key at a time gives them.
    in_order = np.argsort(first)
    ids = np.empty(len(names), dtype=np.uint32)
    ids[in_order] = np.fromiter(
        map(vocabulary.__getitem__, [names[i] for i in in_order.tolist()]), np.uint32, len(names)
    )
    # A group's entries, in order, a token twice in one key once.
    posted = (entry[order] + base).astype(np.uint32)
    keep = new_token.copy()
    keep[1:] |= posted[1:] != posted[:-1]
    data = posted[keep].tobytes()
    ends = np.append(np.cumsum(keep)[starts[1:] - 1], np.count_nonzero(keep)).tolist()
    out: dict[str, bytes] = {}
    begin = 0
    for name, end in zip(names, ends, strict=True):
        word = name[1:] if name[:1] == "^" else name  # a name's token "^nato" posts "nato"
        if word in out:  # both forms in the batch
            merged = np.union1d(
                np.frombuffer(out[word], dtype=np.uint32),
                np.frombuffer(data[4 * begin : 4 * end], dtype=np.uint32),
            )
            out[word] = merged.astype(np.uint32).tobytes()
        else:
            out[word] = data[4 * begin : 4 * end]
        begin = end
    return Indexed(ids[group], per_key, list(out.items()))


def _index_slowly(
    tokens: list[str], keys: int, base: int, vocabulary: Mapping[str, int]
) -> Indexed:
    grouped: dict[str, array[int]] = {}
    ids = array("I")
    per_key = np.zeros(keys, dtype=np.int64)
    entry = base
    for token in tokens:
        if token == "\0":
            entry += 1
            continue
        ids.append(vocabulary[token])
        per_key[entry - base] += 1
        posting = grouped.setdefault(token.removeprefix("^"), array("I"))
        if not posting or posting[-1] != entry:
            posting.append(entry)
    return Indexed(
        np.frombuffer(ids.tobytes(), dtype=np.uint32),
        per_key,
        [(w, p.tobytes()) for w, p in grouped.items()],
    )
