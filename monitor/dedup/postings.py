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
Hashes = npt.NDArray[np.uint64]
_MASK = (1 << 64) - 1

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
    drawn, counts, weights = _rare_runs(rare, rare_weights)
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


def _rare_runs(
    rare: Sequence[array[int]], rare_weights: Sequence[float]
) -> tuple[Entries, npt.NDArray[np.intp], npt.NDArray[np.float64]]:
    """The entries of the ``rare`` postings (ascending), how many of the postings hold
    each, and the sum of those postings' weights."""
    # Each posting's entries with its place among the postings in the low byte, sorted as
    # one array: sorting the values is several times cheaper than an argsort, and the order
    # is the same as a stable argsort's (an entry is once in a posting, its places ascend),
    # so the weights are summed in the same order. In 32 bits while the entries leave room
    # for the byte (a sort of half the bytes).
    flat = np.frombuffer(b"".join(rare), dtype=np.uint32)
    place = np.repeat(np.arange(len(rare), dtype=np.uint32), [len(p) for p in rare])
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
    by_word = np.asarray(rare_weights, dtype=np.float64)[place]
    if not len(entries):
        return entries, np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float64)
    starts = np.empty(len(entries), dtype=np.bool_)
    starts[0] = True
    np.not_equal(entries[1:], entries[:-1], out=starts[1:])
    at = np.flatnonzero(starts)
    counts = np.empty(len(at), dtype=np.intp)
    np.subtract(at[1:], at[:-1], out=counts[:-1])
    counts[-1] = len(entries) - at[-1]
    return entries[at], counts, np.add.reduceat(by_word, at)


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
    # Each key's words summed as ``wordtable.words_hash`` sums them (before its finish): a
    # name's token "^nato" counts as the word "nato"; 0 for a key without words.
    word_sums: Hashes


def index_keys(keys: Sequence[str], vocabulary: Mapping[str, int]) -> Indexed:
    """The tokens of the headline keys ``keys`` as vocabulary ids, and the sum of each key's
    word hashes (a name's token "^nato" is the word "nato").

    One split of all keys and one hash of each token; tokens are then grouped in numpy, and
    Python touches each distinct token of the batch once, not each token. Should two
    distinct tokens of the batch share a 64-bit hash (or one the separator's), the batch is
    read one token at a time instead. ``vocabulary`` gives a new token the next id, in order
    of first use (as ``add`` one key at a time gives them). The postings of the keys' words
    are made by ``post``, for many batches at once.
    """
    tokens = " \0 ".join(keys).split()  # keys are words between single spaces, no NUL
    hashes = np.fromiter(map(hash, tokens), dtype=np.int64, count=len(tokens))
    sep = hashes == hash("\0")
    at = np.flatnonzero(~sep)
    entry = np.cumsum(sep)[at]  # key of each token
    per_key = np.bincount(entry, minlength=len(keys)).astype(np.int64)
    # The tokens grouped by hash, a group's first position first (one stable sort).
    hashes = hashes[at]
    order = np.argsort(hashes, kind="stable")
    sorted_hashes = hashes[order]
    new_token = np.empty(len(order), dtype=np.bool_)
    new_token[:1] = True
    np.not_equal(sorted_hashes[1:], sorted_hashes[:-1], out=new_token[1:])
    starts = np.flatnonzero(new_token)
    distinct = set(tokens)
    distinct.discard("\0")
    if len(starts) != len(distinct) or int(sep.sum()) != max(0, len(keys) - 1):
        return _index_slowly(tokens, len(keys), vocabulary)
    if not len(at):  # keys without words (headlines of stop words only)
        return Indexed(np.zeros(0, dtype=np.uint32), per_key, np.zeros(len(keys), np.uint64))
    group = np.empty(len(order), dtype=np.int64)
    group[order] = np.cumsum(new_token) - 1  # each token's group
    first = order[starts]  # a group's first position
    names = [tokens[i] for i in at[first].tolist()]
    in_order = np.argsort(first)
    ids = np.empty(len(names), dtype=np.uint32)
    ids[in_order] = np.fromiter(
        map(vocabulary.__getitem__, [names[i] for i in in_order.tolist()]), np.uint32, len(names)
    )
    word_hash = sorted_hashes[starts].view(np.uint64)
    marked = [i for i, name in enumerate(names) if name[:1] == "^"]
    if marked:
        word_hash[marked] = np.fromiter(
            (hash(names[i][1:]) for i in marked), np.int64, len(marked)
        ).view(np.uint64)
    return Indexed(ids[group], per_key, _sum_per_key(word_hash[group], per_key))


def _sum_per_key(values: Hashes, per_key: npt.NDArray[np.int64]) -> Hashes:
    """The sum of each key's run of ``values`` (64-bit, wrapping), 0 for an empty run."""
    prefix = np.zeros(len(values) + 1, dtype=np.uint64)
    np.cumsum(values, out=prefix[1:])
    ends = np.cumsum(per_key)
    sums: Hashes = prefix[ends] - prefix[ends - per_key]
    return sums


def _index_slowly(tokens: list[str], keys: int, vocabulary: Mapping[str, int]) -> Indexed:
    ids = array("I")
    per_key = np.zeros(keys, dtype=np.int64)
    sums = [0] * keys
    key = 0
    for token in tokens:
        if token == "\0":
            key += 1
            continue
        ids.append(vocabulary[token])
        per_key[key] += 1
        sums[key] += hash(token.removeprefix("^"))
    return Indexed(
        np.frombuffer(ids.tobytes(), dtype=np.uint32),
        per_key,
        np.fromiter((s & _MASK for s in sums), np.uint64, keys),
    )


def post(
    postings: Mapping[str, array[int]],
    ids: Entries,
    per_key: npt.NDArray[np.int64],
    base: int,
    words: Sequence[str],
) -> None:
    """Append entries ``base`` on, whose token ids are ``ids`` (``per_key`` an entry, one
    entry after the other), to the ``postings`` of their words (a defaultdict: a new word
    gets an empty one), each entry once a word, in order. ``words`` is token id -> word (a
    name's token "^nato" is the word "nato": both tokens post to it).

    A sort of (word, entry) pairs in numpy; Python touches each distinct token and word once.
    """
    if not len(ids):
        return
    present = np.zeros(int(ids.max()) + 1, dtype=np.bool_)
    present[ids] = True
    tokens = np.flatnonzero(present)
    names = list(map(words.__getitem__, tokens.tolist()))
    distinct = list(dict.fromkeys(names))
    number = dict(zip(distinct, range(len(distinct)), strict=True))
    word_of = np.zeros(len(present), dtype=np.uint64)
    word_of[tokens] = np.fromiter(map(number.__getitem__, names), np.uint64, len(names))
    pairs = word_of[ids] << np.uint64(32)
    pairs |= np.repeat(np.arange(base, base + len(per_key), dtype=np.uint64), per_key)
    pairs.sort()
    keep = np.empty(len(pairs), dtype=np.bool_)
    keep[0] = True
    np.not_equal(pairs[1:], pairs[:-1], out=keep[1:])  # a word twice in one headline
    pairs = pairs[keep]
    word = pairs >> np.uint64(32)
    starts = np.flatnonzero(np.append(True, word[1:] != word[:-1]))
    data = memoryview((pairs & np.uint64(0xFFFFFFFF)).astype(np.uint32).tobytes())
    ends = np.append(starts[1:], len(pairs))
    for w, s, e in zip(word[starts].tolist(), starts.tolist(), ends.tolist(), strict=True):
        postings[distinct[w]].frombytes(data[4 * s : 4 * e])
