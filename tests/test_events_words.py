"""The words events read from a summary: what story matching's parse reads, made cheaper.

A summary is read for its words alone (``content_words``) unless names weigh more than a
word; the words must be parse's, or an item would join another event than it does today.
"""

from __future__ import annotations

import csv
from collections import defaultdict

import pytest
from conftest import shared

from monitor.dedup.headline import content_words, parse
from monitor.dedup.outlet import keeps_whole, strip_outlet
from monitor.events import EventConfig, EventIndex
from monitor.events.words import segment_words

# Texts where parse's patterns act: acronyms, thousands, decimals, outlet segments, tags.
CASES = [
    "U.S. and U.K. officials met on Monday. Talks on the 1,000-page deal resumed in Geneva.",
    "UPDATE 2-Shares fell 6.4 percent, the most since 2008, after the results - Reuters",
    "The U.N. said 12,500 people fled; 3 villages burned (AP)",
    "Prices rose, analysts said, by 1,5 percent in the E.U. a.m. trading",
    "BBC News - Minister resigns after two weeks in office over expenses claims",
    "Résumé of the Zürich talks: Zelenskyy and Putin, 2nd round | RT",
    "",
    "...",
]


@pytest.mark.parametrize("text", CASES)
def test_a_summarys_words_are_the_words_parse_reads(text: str) -> None:
    assert content_words(text) == parse.__wrapped__(text).words


def test_real_summaries_read_the_same_words() -> None:
    """Summaries as feeds send them: headlines of one UCI story run together (~300 chars)."""
    path = next(shared("uci-news-2014-03").glob("*.csv"))
    by_story: defaultdict[str, list[str]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            by_story[row["STORY"]].append(row["TITLE"])
    texts = []
    for titles in by_story.values():
        for start in range(0, len(titles), 4):
            texts.append(". ".join(titles[start : start + 4])[:500])
    assert len(texts) > 1500
    assert [t for t in texts if content_words(t) != parse.__wrapped__(t).words] == []


def test_names_in_a_summary_count_when_they_weigh_more() -> None:
    """Headlines with no word in common whose summaries share a place's name and two words:
    with names weighing 3 the name counts three times, and the later item joins. (Two words
    in common are not enough for an item with a lede of its own: tests/test_events_apart.py.)"""
    first = ("Quake strikes off coast", "A strong earthquake struck near Iquique, officials said")
    later = (
        "Thousands spend night outdoors",
        "Residents of Iquique slept outside in parks and streets after the strong earthquake,"
        " fearing aftershocks",
    )
    joined = []
    for name_weight in (1.0, 3.0):
        index = EventIndex(EventConfig(name_weight=name_weight), 72 * 3600.0)
        index.add(1, 1, *first, 1_700_000_000.0)
        joined.append(index.find(2, *later, 1_700_000_060.0).event_id)
    assert joined == [None, 1]


# (headline, the words of its outlet-like segment, which an event may take as its topic)
SEGMENTS = [
    ("Putin invites Zelensky to Moscow for talks", ()),
    ("Titanfall - Xbox One shooter launches to strong reviews", ("titanfal",)),
    ("Minister resigns over expenses claims | RT", ("rt",)),
    ("Minister resigns over expenses claims (Reuters)", ("reuter",)),
    ("13:23 PSNI failed to act on warnings, report says", ("13", "23")),
    ("UPDATE 2-Shares fell after the results", ("updat", "2")),
    ("  Shares fell after the results\n", ()),
    ("", ()),
]


@pytest.mark.parametrize(("title", "words"), SEGMENTS)
def test_an_outlet_like_segment_gives_its_words(title: str, words: tuple[str, ...]) -> None:
    assert segment_words(title) == words


def test_headlines_kept_whole_are_those_strip_outlet_keeps_whole() -> None:
    """Over every real headline (UCI, STS): a headline said to be kept whole is (its
    segment's words are then none, unread), and most are."""
    titles = [row[1] for row in csv.reader(next(shared("uci-news-2014-03").glob("*.csv")).open())]
    for name in ("train.tsv", "dev.tsv", "test.tsv"):
        for line in (shared("sts-headlines") / name).read_text(encoding="utf-8").splitlines():
            titles += line.split("\t")[-2:]
    whole = [t for t in titles if keeps_whole(t)]
    assert [t for t in whole if strip_outlet(t) != t.strip()] == []
    assert len(whole) > len(titles) // 2
