"""A headline seen again word for word (one wire story under the same title in many feeds)
is rebuilt from what the story window keeps rather than parsed again: it must decide as the
parsed one would, also after the window was compacted and its entries renumbered. The table
of titles keeps the latest ones, and takes the memory of the titles it holds."""

from __future__ import annotations

import random

import pytest

from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import parse
from monitor.dedup.index import StoryIndex
from monitor.dedup.titles import SLOTS, RecentTitles

NOW = 1_700_000_000.0
HOUR = 3600.0


def _titles(count: int, seed: int) -> list[str]:
    """Distinct headlines, five words each of 40 made-up words of their own (few: every
    word read stays in ``parse``'s table of spellings for the rest of the run)."""
    rng = random.Random(seed)
    words = [f"{w}{seed}" for w in ("zorb", "quil", "vant", "drem", "plok", "snar", "twib", "gorv")]
    words = [f"{w}{end}" for w in words for end in ("a", "o", "ix", "um", "et")]
    titles: set[str] = set()
    while len(titles) < count:
        titles.add(" ".join(rng.sample(words, 5)).capitalize())
    return sorted(titles)


@pytest.mark.parametrize(
    "title",
    [
        "Putin invites Zelensky to Moscow for talks, Kremlin says",
        "UPDATE 2-Stocks close higher on Tuesday as U.S. jobs beat forecasts - Reuters",
        "NATO and the EU: 1,000 troops for Kosovo (AP)",
        "the the of",  # stop words only: no words to compare
    ],
)
def test_a_title_seen_again_decides_and_keys_as_parsed(title: str) -> None:
    index = StoryIndex(DedupConfig())
    first = index.find(title, "", NOW, "https://a.example/1", None)
    assert first.story_id is None
    assert index.add(7, 1, title, "", NOW, "https://a.example/1", None) == parse(title).key()
    again = index.find(title, "", NOW + 60, "https://b.example/2", None)
    expected = 7 if parse(title).words else None
    assert again.story_id == expected
    assert index.add(7, 2, title, "", NOW + 60, "https://b.example/2", None) == parse(title).key()


@pytest.mark.parametrize("then_add", [False, True])
def test_after_a_compaction_an_old_title_is_parsed_again(then_add: bool) -> None:
    index = StoryIndex(DedupConfig())
    old, kept, new = _titles(1200, 1), _titles(100, 2), _titles(1200, 3)
    for i, title in enumerate(old):
        index.add(i, i, title, "", NOW - 100 * HOUR)
    for i, title in enumerate(kept, 3000):
        index.add(i, i, title, "", NOW)
    # The old ones evicted: the window compacts, and the kept titles take their entry
    # numbers (then the new ones, when added).
    index.evict(NOW - 72 * HOUR)
    if then_add:
        for i, title in enumerate(new, 5000):
            index.add(i, i, title, "", NOW)
    for title in old[:100]:
        # The entry an old title had is another title's now: it is a story of its own again.
        assert index.find(title, "", NOW).story_id is None, title
    assert index.add(9999, 9999, old[0], "", NOW) == parse(old[0]).key()


@pytest.mark.parametrize("slots", [3, 100, 0])
def test_a_table_size_not_a_power_of_two_is_refused(slots: int) -> None:
    with pytest.raises(ValueError, match="power of two"):
        RecentTitles(slots)


def test_a_window_of_few_headlines_holds_a_title_table_of_their_size() -> None:
    index = StoryIndex(DedupConfig())
    for i, title in enumerate(_titles(100, 4)):
        index.add(i, i, title, "", NOW)
    # The whole window of 100 headlines, its title table included: kilobytes, where a table
    # of every slot a day of a thousand feeds needs took 768 kB.
    assert index.memory_bytes() < 200_000


def test_the_latest_titles_are_kept() -> None:
    table = RecentTitles()
    titles = [f"Headline {i} of a busy day" for i in range(SLOTS // 3)]
    for entry, title in enumerate(titles):
        table.put(title, entry, 0)
    latest = range(len(titles) - SLOTS // 8, len(titles))
    kept = sum(table.get(titles[entry], 0) == entry for entry in latest)
    # A title that lands where another one is takes the oldest of a few slots, not the one
    # it lands on: a title put a moment ago is not lost to the next one that shares its
    # slot (one in 17 of them was, a table of one slot a place).
    assert kept >= 0.99 * len(latest)
    assert table.memory_bytes() <= 12 * SLOTS
