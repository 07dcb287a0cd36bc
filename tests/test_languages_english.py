"""English stays English: a word of another language's function words that English text uses
too ("man", "war", "dies", "son", "El", "Los") never counts for that language (review20e D1).

Before: "Man dies in Ukraine war" held three German function words that are English words
("Man", "dies", "war") and was decided German on them; its words shrank to ('ukrain',), so
the same news from two outlets made two stories, two events and two alerts, and joined
"Syria" to "Man dies in Syria war"."""

from __future__ import annotations

import csv

import pytest
from conftest import shared

from monitor.dedup.config import DedupConfig
from monitor.dedup.index import StoryIndex
from monitor.dedup.languages import (
    ENGLISH_TOO,
    LANGUAGES,
    STOP_WORDS,
    headline_language,
    language,
)
from monitor.events import compare
from monitor.events.config import EventConfig

ENGLISH_HEADLINES = [
    "Man dies in Ukraine war",
    "Ukraine war: man dies",
    "British man dies in Syria war",
    "Man who survived war dies at 101",
    "Dan Brown: man dies in war",
    "Sue Gray: war plan also dies",
    "El Chapo son arrested in Los Mochis",
]


@pytest.mark.parametrize("title", ENGLISH_HEADLINES)
def test_an_english_headline_with_foreign_looking_words_stays_english(title: str) -> None:
    assert language(title) is None
    assert language(title, title) is None  # the title as its summary
    assert headline_language(title, "") is None
    assert headline_language(title, title) is None


def _joined(a: str, b: str) -> bool:
    index = StoryIndex(DedupConfig())
    index.find(a, "", 1000.0)
    index.add(1, 1, a, "", 1000.0)
    return index.find(b, "", 1060.0).story_id == 1


def test_one_wire_story_from_two_outlets_is_one_story_and_one_event() -> None:
    a, b = "Ukraine war: man dies", "Man dies in Ukraine war"
    assert _joined(a, b)
    assert compare((a, ""), (b, ""), EventConfig()).same_event


def test_a_country_alone_joins_no_story_of_a_man_who_died_there() -> None:
    assert not _joined("Man dies in Syria war", "Syria")
    assert not _joined("Man dies in Ukraine war", "Ukraine")


def _real_titles() -> list[str]:
    uci = shared("uci-news-2014-03", "uci-news-aggregator_2014-03-10_12_slice.csv")
    with uci.open(encoding="utf-8", newline="") as f:
        titles = [row["TITLE"] for row in csv.DictReader(f)]
    for part in ("train", "dev", "test"):
        with shared("sts-headlines", f"{part}.tsv").open(encoding="utf-8") as f:
            next(f)
            titles += [t for line in f for t in line.rstrip("\n").split("\t")[1:3]]
    return titles


def test_every_real_english_headline_alone_stays_english() -> None:
    """All UCI and STS headlines, each alone (as dedup-check and a feed with no summaries
    give them): none is decided foreign, and so none loses a word."""
    titles = _real_titles()
    assert len(titles) > 10_000
    foreign = [(t, language(t)) for t in titles if language(t) or headline_language(t)]
    assert foreign == []


def test_every_function_word_english_headlines_use_is_known_as_english() -> None:
    """A function word of another language that a real English headline holds (as spelt,
    lower case or capitalised) is in ENGLISH_TOO (or an English stop word): it never counts
    for that language."""
    spelt = {word for title in _real_titles() for word in title.split()}
    listed = set().union(*LANGUAGES.values()) - STOP_WORDS - ENGLISH_TOO
    assert sorted(w for w in listed if w in spelt or w.capitalize() in spelt) == []
