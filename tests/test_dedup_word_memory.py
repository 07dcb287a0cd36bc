"""What dedup keeps of each word it has read: every distinct spelling of every headline in
the window passes through ``parse``, so its per-word memory is paid tens of thousands of
times over (at a million headlines, a hundred thousand spellings)."""

from __future__ import annotations

import csv
import itertools
import re
import tracemalloc

from monitor.dedup import headline
from monitor.dedup.headline import content_words, parse
from tests.conftest import shared


def _headlines() -> list[str]:
    titles = []
    for name in ("train", "dev", "test"):
        for line in shared("sts-headlines", f"{name}.tsv").read_text(encoding="utf-8").splitlines():
            titles.extend(line.split("\t")[-2:])
    with shared("uci-news-2014-03", "uci-news-aggregator_2014-03-10_12_slice.csv").open(
        encoding="utf-8"
    ) as f:
        titles.extend(row[1] for row in csv.reader(f))
    return titles


def test_a_word_read_costs_little_memory_and_the_same_words_come_back() -> None:
    titles = _headlines()
    # Spellings made unique per run: a word read by an earlier test costs nothing here.
    renamed = [re.sub(r"\w+", lambda m: m.group() + "qz", t) for t in titles]
    spellings = {w for t in renamed for w in re.findall(r"\w+", t)}
    before = [parse(t) for t in titles[:200]]
    parse.cache_clear()
    # Read from an empty memory of spellings: one that earlier tests filled near a resize of
    # its tables would count a whole new table against these words (5.6 MB, 435 bytes a
    # spelling, when the events tests ran first).
    headline._known.clear()
    headline._flags.clear()
    headline._stems.clear()
    tracemalloc.start()
    try:
        for title in renamed:
            parse(title)
        parse.cache_clear()  # the parsed headlines themselves are not the words' cost
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # An lru_cache of (stem, flags) tuples in front of textfold.stem's cache of every stem
    # held about 245 bytes a spelling; one string a spelling, about 174. The stem handed out
    # is kept once besides (``_stems``, the test below): 210 here, where each made-up
    # spelling has a stem of its own; real headlines share them (7,000 stems for these
    # 12,842 spellings). The shared stem itself, and the flags in a table of their own: 185.
    assert held / len(spellings) < 200, (held, len(spellings))
    parse.cache_clear()
    assert [parse(t) for t in titles[:200]] == before
    assert [content_words(t) for t in titles[:200]] == [h.words for h in before]


def test_a_stem_read_again_is_not_kept_again() -> None:
    """The window's caches and each event's words keep the stems of the headlines and
    summaries they hold: the same common word read again is the same string, not a copy
    each time (a copy each was 2.8 MB of the first cycle's 118 MB at 1,000 feeds)."""
    words = ["minister", "budget", "harbour", "strike", "council", "vote", "storm", "rail"]
    texts = [" ".join(order) for order in itertools.islice(itertools.permutations(words, 6), 2000)]
    content_words(" ".join(words))  # the spellings learnt: their strings are not measured
    tracemalloc.start()
    try:
        kept = [content_words(text) for text in texts]
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    stems = sum(len(w) for w in kept)
    # A tuple's slot and a share of its header: about 16 bytes a word; a copy of each stem
    # was about 60 more.
    assert held / stems < 30, (held, stems)
    kept += [parse(text.title()).words for text in texts[:200]]  # a headline's, the same
    assert len({id(w) for ws in kept for w in ws}) == len(words)
