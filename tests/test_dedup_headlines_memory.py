"""The story window keeps each headline as the ids of its words: 2 bytes a word while the
window's vocabulary fits them (65,536 tokens: about 20,000 at a window of 50,000 real
headlines), 4 once it outgrows them, with every headline's words and postings as they were,
whichever way it outgrows them (a restart's load, a daemon's adds, a compaction that keeps
more than 65,536)."""

from __future__ import annotations

import numpy as np

from monitor.dedup.headline import from_key, parse
from monitor.dedup.headlines import Headlines


def _keys(first: int, count: int, vocabulary: int) -> list[str]:
    return [
        " ".join(f"w{(i * 7 + j * 13) % vocabulary}" for j in range(8))
        for i in range(first, first + count)
    ]


def _bytes_a_word(vocabulary: int) -> float:
    """What the window's headlines hold for each word of 8,000 more headlines."""
    headlines = Headlines()
    for key in _keys(0, 8_000, vocabulary):
        headlines.add(from_key(key))
    before = headlines.memory_bytes()
    for key in _keys(8_000, 8_000, vocabulary):
        headlines.add(from_key(key))
    return (headlines.memory_bytes() - before) / (8_000 * 8)


def test_a_word_takes_2_bytes_until_the_vocabulary_outgrows_them() -> None:
    # The word's id and its entry in the word's postings, and a share of the headline's start:
    # 2 + 4 + 0.5 bytes; with ids of 4 bytes, 8.5.
    assert _bytes_a_word(3_000) < 7.0
    # Past 65,536 words every headline keeps its words and postings.
    headlines = Headlines()
    keys = [f"w{i} w{i + 1} ^n{i % 50}" for i in range(0, 70_000, 2)]
    added = [headlines.add(from_key(key)) for key in keys[:20_000]]
    loaded = keys[20_000:]
    headlines.load(loaded)  # its new words take the vocabulary past 2 bytes an id
    assert added == keys[:20_000]
    assert [headlines.key(e) for e in range(len(keys))] == keys
    assert list(headlines.postings["w69998"]) == [len(keys) - 1]
    assert list(headlines.postings["n8"]) == list(range(4, len(keys), 25))
    assert headlines.key(headlines.postings["w40001"][0]) == "w40000 w40001 ^n0"
    headlines.add(from_key("w1 w69999 fresh"), -1)
    assert headlines.key(len(keys)) == "w1 w69999 fresh"
    # Half the entries dropped: the words of the rest, renumbered, fit 2 bytes again.
    alive = np.arange(len(keys) + 1) % 2 == 0
    remap = np.where(alive, np.cumsum(alive) - 1, -1)
    headlines.compact(alive, remap)
    kept = [*keys[::2], "w1 w69999 fresh"]
    assert [headlines.key(e) for e in range(len(headlines))] == kept
    assert list(headlines.postings["fresh"]) == [len(kept) - 1]
    assert headlines.postings["n0"][:3].tolist() == [0, 25, 50]


def test_adds_alone_past_65536_tokens_keep_every_headline() -> None:
    # A daemon that has run since its start (no load): without the widening in ``add`` the
    # next new headline raised OverflowError (review24m).
    headlines = Headlines()
    titles = [f"Storm Kx{2 * i}q hits harbour Vx{2 * i + 1}q" for i in range(36_000)]
    keys = [headlines.add(parse(t)) for t in titles]
    assert [headlines.key(e) for e in (0, 20_000, 35_999)] == [keys[0], keys[20_000], keys[35_999]]
    assert list(headlines.postings[parse(titles[35_999]).words[-1]]) == [35_999]
    assert headlines.words(35_999) == list(parse(titles[35_999]).words)


def test_a_compaction_that_keeps_more_than_65536_tokens_keeps_every_headline() -> None:
    # Narrowed regardless, the ids were cut to 2 bytes and headlines took other words
    # (review24m).
    headlines = Headlines()
    keys = [f"w{i} w{i + 1} ^n{i % 50}" for i in range(0, 140_000, 2)]  # 140,050 tokens
    headlines.load(keys)
    alive = np.arange(len(keys)) % 10 != 0  # a tenth dropped: ~126,000 tokens live
    remap = np.where(alive, np.cumsum(alive) - 1, -1)
    headlines.compact(alive, remap)
    kept = [k for k, a in zip(keys, alive, strict=True) if a]
    assert [headlines.key(e) for e in range(len(headlines))] == kept
    assert list(headlines.postings["w139999"]) == [len(kept) - 1]
    headlines.add(from_key("w139999 fresh"))
    assert headlines.key(len(kept)) == "w139999 fresh"
