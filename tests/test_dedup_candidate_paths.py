"""A new headline's candidates are the same whichever way they are drawn: a few postings
counted and ranked in Python, or in numpy. The two must agree to the last bit of each
candidate's weight, since the candidates are ranked by it (``postings.SMALL`` and
``candidates._FEW`` are the switch points). The weights test carries that claim (it fails
where the Python sum is not numpy's); on these 2,500 headlines the lists drawn agreed even
before, and guard the switch points against a path that drops or adds a candidate."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator

import pytest
from conftest import shared

from monitor.dedup import candidates as candidates_module
from monitor.dedup import postings
from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import parse
from monitor.dedup.index import StoryIndex

CONFIG = DedupConfig()
HEADLINES = 2_500
NOW = 1_700_000_000.0


def _real_headlines() -> list[str]:
    path = shared("uci-news-2014-03", "uci-news-aggregator_2014-03-10_12_slice.csv")
    with path.open(encoding="utf-8", newline="") as f:
        return [row["TITLE"] for row in csv.DictReader(f)][:HEADLINES]


def _python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postings, "SMALL", 10**9)
    monkeypatch.setattr(candidates_module, "_FEW", 10**9)


def _numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(postings, "SMALL", 0)
    monkeypatch.setattr(candidates_module, "_FEW", 0)


def _stream(index: StoryIndex) -> Iterator[str]:
    """Each real headline, then it goes into the window as the daemon puts it there."""
    for i, title in enumerate(_real_headlines()):
        yield title
        url = f"https://news.example/{i}"
        found = index.find(title, "", NOW + i, url, url)
        index.add(i if found.story_id is None else found.story_id, i, title, "", NOW + i, url)


def test_both_ways_draw_the_same_candidates(monkeypatch: pytest.MonkeyPatch) -> None:
    index = StoryIndex(CONFIG)
    drawn = 0
    for i, title in enumerate(_stream(index)):
        headline = parse(title)
        by = {}
        for way in (_python, _numpy):
            way(monkeypatch)
            by[way] = candidates_module.candidates(index.window, CONFIG, headline, NOW + i)
        monkeypatch.undo()
        assert by[_python] == by[_numpy], title
        drawn += len(by[_numpy])
    assert drawn > 20 * HEADLINES  # they drew: the test compared something


def test_both_ways_weigh_an_entry_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    index = StoryIndex(CONFIG)
    compared = 0
    for title in _stream(index):
        window = index.window
        held = window.headlines.postings
        words = sorted(set(parse(title).words) & held.keys(), key=lambda w: len(held[w]))
        rare = [held[w] for w in words if len(held[w]) <= CONFIG.max_postings][:12]
        weights = [math.log((window.entries + 1) / len(p)) for p in rare]
        for need in (2, 3):
            got = {}
            for way in (_python, _numpy):
                way(monkeypatch)
                got[way] = postings.shared_by(rare, [], need, CONFIG.max_postings, weights, [])
            monkeypatch.undo()
            python, numpy = got[_python], got[_numpy]
            assert python.entries.tolist() == numpy.entries.tolist(), title
            assert python.counts.tolist() == numpy.counts.tolist(), title
            # Bit for bit: numpy sums a run of an entry's weights its own way.
            assert python.weights.tobytes() == numpy.weights.tobytes(), title
            compared += int((numpy.counts >= 3).sum())
    assert compared > HEADLINES  # entries sharing three words or more, whose sums can differ
