"""The posting-list operations the story index does in numpy give what a plain Python loop
gives: the candidates a headline's words draw, and a batch of keys indexed for a load."""

from __future__ import annotations

import random
from array import array
from collections import Counter, defaultdict

import pytest

from monitor.dedup import postings, vocabulary
from monitor.dedup.wordtable import words_hash, words_hashes


def _posting(rng: random.Random, size: int, universe: int, base: int = 0) -> array[int]:
    return array("I", sorted(rng.sample(range(base, base + universe), size)))


def _expected(
    rare: list[array[int]],
    common: list[array[int]],
    need: int,
    cap: int,
    weights: list[float],
) -> dict[int, tuple[int, float]]:
    """entry -> (words shared, their weight), counted one posting at a time."""
    shared: Counter[int] = Counter()
    weight: Counter[int] = Counter()
    for posting, w in zip(rare, weights, strict=False):
        shared.update(posting)
        for entry in posting:
            weight[entry] += w
    sets = [set(p) for p in common]
    drawn_by_pairs: set[int] = set()
    for i, a in enumerate(sets):
        for b in sets[i + 1 :]:
            if len(a & b) <= cap and min(len(a), len(b)) <= postings._PAIR_SCAN * cap:
                drawn_by_pairs |= a & b
    common_weights = weights[len(rare) :]
    for entry in set(shared) | drawn_by_pairs:
        for s, w in zip(sets, common_weights, strict=False):
            if entry in s:
                shared[entry] += 1
                weight[entry] += w
    return {e: (n, weight[e]) for e, n in shared.items() if n >= need}


# Entries from 0, and past 2**24 (a window that has taken in 16 million headlines between
# two compactions: they no longer fit 32 bits beside a posting's place).
@pytest.mark.parametrize("base", [0, 2**24 - 2000])
@pytest.mark.parametrize("seed", range(120))
def test_shared_by_counts_as_a_loop_would(seed: int, base: int) -> None:
    rng = random.Random(seed)
    universe = rng.choice([50, 500, 5000])
    # Up to a dozen, some long: numpy counts them past a few hundred entries in all.
    rare = [_posting(rng, rng.randint(1, min(universe, rng.choice([60, 400]))), universe, base)
            for _ in range(rng.randint(0, 12))]  # fmt: skip
    common = [_posting(rng, rng.randint(1, universe // 2), universe, base)
              for _ in range(rng.randint(0, postings.MAX_COMMON))]  # fmt: skip
    need, cap = rng.randint(1, 3), rng.choice([5, 50, 5000])
    weights = [rng.uniform(0.1, 5) for _ in range(len(rare) + len(common))]
    got = postings.shared_by(rare, common, need, cap, weights[: len(rare)], weights[len(rare) :])
    expected = _expected(rare, common, need, cap, weights)
    assert got.entries.tolist() == sorted(expected)
    assert got.counts.tolist() == [expected[e][0] for e in sorted(expected)]
    assert got.weights.tolist() == pytest.approx([expected[e][1] for e in sorted(expected)])


@pytest.mark.parametrize("seed", range(40))
def test_index_keys_and_post_as_one_token_at_a_time(seed: int) -> None:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(rng.choice([3, 30, 300]))]
    keys = [
        " ".join(rng.choice(["", "^"]) + rng.choice(words) for _ in range(rng.randint(0, 7)))
        for _ in range(rng.randint(1, 40))
    ]
    base = rng.randint(0, 1000)
    vocab, slow_vocab = vocabulary.Vocabulary(["w1", "^w2"]), vocabulary.Vocabulary(["w1", "^w2"])
    fast = vocabulary.index_keys(keys, vocab)
    tokens = " \0 ".join(keys).split()
    slow = vocabulary._index_slowly(tokens, len(keys), slow_vocab)
    for got in (fast, slow):
        assert got.per_key.tolist() == [len(k.split()) for k in keys]
        # The words of a key, in any order and with or without a name's mark, give its sum.
        assert words_hashes(got.word_sums).tolist() == [
            words_hash(k.replace("^", "").split()) for k in keys
        ]
    assert fast.ids.tolist() == slow.ids.tolist()
    assert vocab.tokens == slow_vocab.tokens
    posted: defaultdict[str, array[int]] = defaultdict(lambda: array("I"))
    vocabulary.post(posted, fast.ids, fast.per_key, base, vocab.words)
    expected: dict[str, list[int]] = {}
    for entry, key in enumerate(keys, base):
        for word in dict.fromkeys(key.replace("^", "").split()):
            expected.setdefault(word, []).append(entry)
    assert {w: p.tolist() for w, p in posted.items()} == expected


@pytest.mark.parametrize("seed", range(60))
def test_shared_by_weighs_an_entry_alike_whatever_it_needs(seed: int) -> None:
    # Without common postings the entries in fewer than ``need`` postings are dropped before
    # the weights are summed: those kept must weigh what they weigh when none is dropped, to
    # the last bit (the candidates are ranked by it), those in nine postings or more too
    # (numpy sums a long run pairwise).
    rng = random.Random(seed)
    universe = rng.choice([30, 300, 3000])
    rare = [_posting(rng, rng.randint(1, universe), universe) for _ in range(rng.randint(1, 12))]
    weights = [rng.uniform(0.1, 5) for _ in rare]
    need = rng.randint(2, 4)
    every = postings.shared_by(rare, [], 1, 5000, weights, [])
    got = postings.shared_by(rare, [], need, 5000, weights, [])
    kept = every.counts >= need
    assert got.entries.tolist() == every.entries[kept].tolist()
    assert got.counts.tolist() == every.counts[kept].tolist()
    assert got.weights.tobytes() == every.weights[kept].tobytes()
