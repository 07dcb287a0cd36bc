"""Figures read as the news writes them (review14g of e13518b, where each of these failed):
two numbers side by side are not read as one, a scale on one side only does not part a copy,
and a name with digits in it ("H7N9") does not hide a revised figure beside it."""

from __future__ import annotations

import pytest

from monitor.dedup.config import DedupConfig
from monitor.dedup.score import verdict

CONFIG = DedupConfig()

# D1: two figures side by side after stop words go are read as one ("Xbox One 792p" -> 1792).
# Real UCI pairs (same STORY label), each above the threshold before, 0 now.
ADJACENT = [
    ("Titanfall for Xbox One has 792p Resolution, may increase in the future",
     "Titanfall For Xbox One Sports 792p Resolution, Could Be Increased In The Future"),
    ("Looks Like Titanfall's Day One Update On Xbox One is 840mb",
     "The Titanfall Day 1 Update Is 840 MB Big"),
    ("Titanfall Is Officially 792p On Xbox One, Not 900p", "Titanfall ships at 792p on Xbox One"),
    ("Storm kills 20, 5 missing in Chile", "Storm kills 20 in Chile, 5 missing"),
]  # fmt: skip

# D2: a scale on one side only, the other's unit unknown to _SCALES ("mil.", "bil", "millio")
# or not a scale at all ("100m" metres): one figure reads x 10^6, the other not.
SCALE = [
    ("US offers US$10 mil. for Pakistan militant",  # STS train 3.8
     "US offers $10 million for Pakistani militant chief"),
    ("BP sells some Gulf of Mexico assets for $5.55 bil",  # STS train 3.6
     "BP sells Gulf of Mexico assets to Plains for $5.55 bn"),
    ("Colorado Collects $2M In Recreational Pot Taxes",  # UCI, one STORY
     "Colorado collects $2 millio in recreational pot taxes"),
    ("Bolt runs 100m in 9.58 seconds", "Bolt runs 100 metres in 9.58 seconds"),
]  # fmt: skip


@pytest.mark.parametrize(("a", "b"), ADJACENT + SCALE)
def test_one_story_stays_one(a: str, b: str) -> None:
    for x, y in ((a, b), (b, a)):
        v = verdict(x, y, CONFIG)
        assert v.duplicate, (x, y, v.score)


# D3: one word mixing letters and digits anywhere in the headline turns the figure rule off
# for the whole headline: a revised toll is then deduped, the revision never alerted.
REVISED = [
    ("H7N9 bird flu death toll rises to 12 in China", "H7N9 bird flu death toll rises to 21 in China"),
    ("MH370 search area expands to 100 nautical miles", "MH370 search area expands to 50 nautical miles"),
    ("Samsung Galaxy S5 to cost $599", "Samsung Galaxy S5 to cost $699"),
]  # fmt: skip


@pytest.mark.parametrize(("a", "b"), REVISED)
def test_a_revised_figure_stays_news_beside_a_mixed_word(a: str, b: str) -> None:
    v = verdict(a, b, CONFIG)
    assert not v.duplicate, (a, b, v.score)
