"""Headline keys as token ids, and the postings of their words made in bulk: what the story
window does a batch at a time when it is rebuilt at start (a million headlines), where
``Headlines.add`` (headlines.py) does it one headline at a time.

Tokens get ids in a shared ``Vocabulary`` (a name's token "^nato" is a token of its own, and
the word "nato"). Python touches each distinct token of a batch once, not each token; the
rest is numpy.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from monitor.dedup.headline import shared
from monitor.dedup.postings import Entries, Hashes

_MASK = (1 << 64) - 1


class Vocabulary(dict[str, int]):
    """Token -> id, ids given in order of first use; ``tokens`` is id -> token, ``words``
    id -> the token's word (a name's token "^nato" is the word "nato")."""

    def __init__(self, tokens: Iterable[str] = ()) -> None:
        self.tokens = list(tokens)
        self.words = [shared(t[1:]) if t[:1] == "^" else t for t in self.tokens]
        super().__init__(zip(self.tokens, range(len(self.tokens)), strict=False))

    def __missing__(self, token: str) -> int:
        self[token] = len(self.tokens)
        self.tokens.append(token)
        self.words.append(shared(token[1:]) if token[:1] == "^" else token)
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
