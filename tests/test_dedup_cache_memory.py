"""What dedup keeps besides the window itself: the caches in front of ``parse`` and of the
window's texts and headlines, and the window's vocabulary. They are paid at the peak of a
cycle, before a single item is evicted: at a thousand feeds every MB of them shows in the
process's RSS."""

from __future__ import annotations

import csv
import gc
import tracemalloc

from conftest import shared

from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import Headline, parse
from monitor.dedup.headlines import Headlines
from monitor.dedup.index import StoryIndex, StoryMatch

TITLES = 5_000
NOW = 1_700_000_000.0


def _titles() -> list[str]:
    with shared("uci-news-2014-03", "uci-news-aggregator_2014-03-10_12_slice.csv").open(
        encoding="utf-8"
    ) as f:
        titles = list(dict.fromkeys(row[1] for row in csv.reader(f)))
    assert len(titles) >= TITLES
    return titles[:TITLES]


def _parsed() -> tuple[list[str], list[Headline]]:
    titles = _titles()
    headlines = [parse(t) for t in titles]  # their spellings learnt: not measured below
    parse.cache_clear()
    return titles, headlines


def test_parsing_a_cycles_titles_keeps_few_of_them() -> None:
    """A poll's titles are each parsed once (the story index rebuilds one it holds from its
    key): a cache of 2,048 parsed headlines held 1.1 MB of these 5,000 and answered 6 of
    11,620 calls of a 300-feed cycle."""
    titles, headlines = _parsed()
    tracemalloc.start()
    try:
        again = [parse(t) for t in titles]
        del again
        gc.collect()  # the cache's evicted links are freed by the collector
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < 400_000, held
    assert [parse(t) for t in titles] == headlines


def test_the_windows_texts_and_headlines_kept_are_a_few() -> None:
    """The texts and headlines of the entries drawn last: 4,096 and 1,024 of them held 1.9
    MB of these 5,000 headlines; the hits they add beyond 1,024 and 256 are under 1%."""
    _, headlines = _parsed()
    window = Headlines()
    for headline in headlines:
        window.add(headline)
    entries = list(range(len(headlines)))
    tracemalloc.start()
    try:
        texts = window.sorted_texts(entries)
        rebuilt = [window.headline(e) for e in entries]
        held_with_them, _ = tracemalloc.get_traced_memory()
        del texts, rebuilt
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < 1_000_000, (held, held_with_them)
    assert window.sorted_texts(entries) == [" ".join(sorted(h.words)) for h in headlines]
    assert [window.headline(e) for e in entries] == headlines


def test_the_window_keeps_the_words_parse_shares() -> None:
    """The window's vocabulary keeps a token as the string ``parse`` handed out, not a copy
    split from the headline's key: 281 bytes a distinct token of these headlines with the
    copies, 227 without."""
    _, headlines = _parsed()
    tokens = {t for h in headlines for t in h.key().split()}
    window = Headlines()
    tracemalloc.start()
    try:
        keys = [window.add(h) for h in headlines]
        del keys
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held / len(tokens) < 250, held / len(tokens)
    assert [window.key(e) for e in range(len(headlines))] == [h.key() for h in headlines]
    assert [window.words(e) for e in range(len(headlines))] == [list(h.words) for h in headlines]


def _tag(number: int) -> str:
    """A made-up word of letters for ``number`` (a number would weigh as one)."""
    letters = ""
    for _ in range(3):
        number, at = divmod(number, 26)
        letters += "abcdefghijklmnopqrstuvwxyz"[at]
    return "zq" + letters


def test_finding_copies_of_a_story_keeps_nothing_of_each() -> None:
    """Each outlet's copy of a story (a word added to its second headline) is scored against
    the story's first headline and found in it; its score is not kept: 4,096 scores kept by
    the two headlines' words held 0.3 MB of 2,000 such finds and were asked again 5 times in
    3,333 on the ingest bench's first cycle at 1,000 feeds, never on 50,000 of the real
    stream."""
    index = StoryIndex(DedupConfig())
    first = "Harbour city mayor calls emergency summit on flooding"
    second = "Harbour city mayor calls summit on flooding after storm"
    index.add(1, 1, first, "", NOW, "https://a.example/1", "https://a.example/1")
    assert index.find(second, "", NOW, "https://b.example/2", None).story_id == 1
    index.add(1, 2, second, "", NOW, "https://b.example/2", "https://b.example/2")
    copies = [f"{second} {_tag(i)}" for i in range(3_000)]
    for copy in copies:
        parse(copy)  # their spellings learnt: not measured
    parse.cache_clear()

    def find(titles: list[str]) -> list[StoryMatch]:
        return [index.find(t, "", NOW, f"https://c.example/{t}", None) for t in titles]

    find(copies[:1_000])  # the window's bounded caches filled
    tracemalloc.start()
    try:
        found = find(copies[1_000:])
        stories = {match.story_id for match in found}
        del found
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stories == {1}
    assert held < 150_000, held
