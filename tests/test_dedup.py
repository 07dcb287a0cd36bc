"""Dedup, the pure part: headline normalization, the similarity score, the story index."""

from __future__ import annotations

import pytest

from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import names, normalize, numbers, tokens
from monitor.dedup.index import StoryIndex
from monitor.dedup.score import is_duplicate, similarity

CONFIG = DedupConfig()
RAIL = "Mayor calls emergency summit over rail strike"

MUST_MERGE = [
    (RAIL, "UPDATE 1-Harbour city mayor calls emergency summit on rail strike"),
    (RAIL, "Rail strike: mayor calls summit - Wire"),
    ("UPDATE 1-Harbour city mayor calls emergency summit on rail strike",
     "Rail strike: mayor calls summit - Wire"),
    ("UPDATE 2-China's exports unexpectedly slump in February",
     "China's exports unexpectedly slump in February"),
    ("EXCLUSIVE: Apple in talks to buy Beats for $3.2 billion",
     "Apple in talks to buy Beats for $3.2 billion - sources"),
    ("Putin invites Zelensky to Moscow for talks - Reuters",
     "Putin invites Zelensky to Moscow for talks | RT"),
    ("BBC News - Putin invites Zelensky to Moscow for talks",
     "Putin invites Zelensky to Moscow for talks"),
    ("Malaysia Airlines flight MH370 missing with 239 aboard",
     "Malaysia Airlines flight MH370 with 239 aboard goes missing"),
    ("Fed holds rates steady, signals patience",
     "Fed holds interest rates steady and signals patience (Reuters)"),
    ("NATO soldier killed in Afghan attack", "NATO Soldier Killed In Afghan Attack"),
    ("Obama unveils new sanctions on Russia over Crimea",
     "WRAPUP 1-Obama unveils new sanctions on Russia over Crimea"),
    ("Storm warning issued for the northern coast",
     "Storm warning issued for northern coast – Coastal Herald"),
    ("BREAKING: Earthquake of magnitude 6.1 hits northern Japan",
     "Earthquake of magnitude 6.1 hits northern Japan — NHK World"),
    ("Café owners protest new tax in Zürich", "Cafe owners protest new tax in Zurich"),
]  # fmt: skip

MUST_NOT_MERGE = [
    ("Suicide bomber kills 12 in Nigeria church", "Suicide bomber kills 21 in NW Pakistan"),
    (RAIL, "Mayor opens new rail museum"),
    ("Apple in talks to buy Beats", "Google in talks to buy Nest"),
    ("China's exports slump in February", "China's imports rise in March"),
    ("Fed holds rates steady", "ECB cuts rates to record low"),
    ("Earthquake of magnitude 6.1 hits Japan", "Earthquake of magnitude 7.4 hits Chile"),
    ("Putin invites Zelensky to Moscow", "Biden invites Macron to Washington"),
    ("Toyota recalls 6.4 million vehicles", "GM recalls 1.6 million vehicles"),
    ("Storm warning issued for the northern coast", "Local bakery wins national bread award"),
    ("Microsoft launches Office for iPad", "Microsoft ends support for Windows XP"),
    ("Two killed in Kabul blast", "Four killed in Baghdad blast"),
    ("UPDATE 1-Oil prices rise on Libya supply worries", "Gold prices fall as dollar firms"),
    ("Sony to sell PC business", "Sony posts record quarterly profit"),
    ("Flight MH370 search widens to Indian Ocean", "Flight delays hit Heathrow after storm"),
]


@pytest.mark.parametrize(("a", "b"), MUST_MERGE)
def test_must_merge(a: str, b: str) -> None:
    score, duplicate = is_duplicate(a, b, CONFIG)
    assert duplicate, f"{score:.1f}: {a!r} / {b!r}"


@pytest.mark.parametrize(("a", "b"), MUST_NOT_MERGE)
def test_must_not_merge(a: str, b: str) -> None:
    score, duplicate = is_duplicate(a, b, CONFIG)
    assert not duplicate, f"{score:.1f}: {a!r} / {b!r}"


@pytest.mark.parametrize(
    ("title", "normalized"),
    [
        ("UPDATE 2-China exports slump", "china exports slump"),
        ("EXCLUSIVE: Apple buys Beats", "apple buys beats"),
        ("Putin invites Zelensky to Moscow - Reuters", "putin invites zelensky moscow"),
        ("Putin invites Zelensky to Moscow | RT", "putin invites zelensky moscow"),
        ("BBC News - Putin invites Zelensky to Moscow", "putin invites zelensky moscow"),
        ("Putin invites Zelensky to Moscow (AP)", "putin invites zelensky moscow"),
        ("Crème brûlée wins the prize!", "creme brulee wins prize"),
    ],
)
def test_normalize(title: str, normalized: str) -> None:
    assert normalize(title) == normalized
    assert tokens(title) == normalized.split()


def test_numbers_and_names() -> None:
    title = "Suicide bomber kills 12 in Nigeria church, 6.4 quake hits Chile"
    assert numbers(title) == {"12", "6.4"}
    assert names(title) == {"nigeria", "chile"}  # "Suicide" is the first word


def test_similarity_is_symmetric_and_bounded() -> None:
    a, b = MUST_MERGE[0]
    assert similarity(a, b, CONFIG) == similarity(b, a, CONFIG)
    assert similarity(a, a, CONFIG) == 100.0
    assert similarity("", a, CONFIG) == 0.0


def test_threshold_comes_from_the_config() -> None:
    a, b = MUST_MERGE[1]
    score, _ = is_duplicate(a, b, CONFIG)
    assert is_duplicate(a, b, DedupConfig(threshold=score))[1]
    assert not is_duplicate(a, b, DedupConfig(threshold=min(100.0, score + 1)))[1]


NOW = 1_700_000_000.0


def _big_index(n: int) -> StoryIndex:
    index = StoryIndex(CONFIG)
    for i in range(n):
        index.add(i, f"Quarterly report number {i} of company{i % 5000} in sector{i % 37}", NOW)
    return index


def test_find_never_scans_the_window() -> None:
    index = _big_index(50_000)
    index.add(99_999, RAIL, NOW)
    found = index.find("Rail strike: mayor calls summit - Wire", "", NOW + 60, None, None)
    assert found.story_id == 99_999 and found.reason == "similar headline"
    assert index.last_candidates < 500
    found = index.find("Quarterly report number 77 of company77 in sector3", "", NOW, None, None)
    assert found.story_id == 77
    assert index.last_candidates <= CONFIG.max_candidates
    assert index.find("Totally unrelated words here", "", NOW, None, None).story_id is None
    assert index.last_candidates == 0


def test_too_common_words_find_no_candidates() -> None:
    index = StoryIndex(DedupConfig(max_postings=10))
    for i in range(20):
        index.add(i, f"common words everywhere item{i}", NOW)
    assert index.find("common words everywhere", "", NOW, None, None).story_id is None
    assert index.last_candidates == 0


def test_url_and_guid_join_within_the_window_only() -> None:
    index = StoryIndex(CONFIG)
    index.add(7, "Something happened", 1000.0, "https://a.example/x", "guid-1", item_id=70)
    assert index.by_url == {"https://a.example/x": 7} and index.by_guid == {"guid-1": 7}
    found = index.find("Other words", "", 2000.0, "https://a.example/x", "guid-2")
    assert (found.story_id, found.reason) == (7, "same url")
    assert index.find("Other words", "", 2000.0, None, "guid-1").reason == "same guid"
    late = 1000.0 + CONFIG.window + 1
    assert index.find("Other words", "", late, "https://a.example/x", None).story_id is None


def test_headlines_outside_the_window_do_not_join() -> None:
    index = StoryIndex(CONFIG)
    index.add(1, RAIL, NOW)
    assert index.find(RAIL, "", NOW + CONFIG.window + 1, None, None).story_id is None
    assert index.find(RAIL, "", NOW - CONFIG.window - 1, None, None).story_id is None
    assert index.find(RAIL, "", NOW + CONFIG.window - 1, None, None).story_id == 1


def test_evict_forgets_old_entries_and_compacts() -> None:
    index = StoryIndex(CONFIG)
    for i in range(3000):
        index.add(i, f"Headline {i} about topic{i}", NOW + i * 60, f"https://x/{i}", f"g{i}")
    assert len(index) == 3000
    size = index.memory_bytes()
    assert index.evict(NOW + 2500 * 60) == 2500 and len(index) == 500
    assert index.evict(NOW + 2500 * 60) == 0  # the horizon only moves forward
    assert index.memory_bytes() < size  # compacted: evicted entries outnumbered the live ones
    at = NOW + 2600 * 60
    assert index.find("x", "", at, "https://x/10", None).story_id is None
    assert index.find("x", "", at, None, "g2999").story_id == 2999
    assert index.find("Headline 10 about topic10", "", at, None, None).story_id is None
    assert index.find("Headline 2999 about topic2999", "", at, None, None).story_id == 2999
    assert "https://x/10" not in index.by_url


# More pairs, in the style of wire copy and the UCI stream.
MORE_MERGE = [
    ("Mayor calls emergency summit over rail strike",
     "UPDATE 1-Harbour city mayor calls emergency summit on rail strike"),
    ("Mayor calls emergency summit over rail strike", "Rail strike: mayor calls summit - Wire"),
    ("Putin invites Zelensky to Moscow for talks - Reuters",
     "Putin invites Zelensky to Moscow for talks | RT"),
    ("BBC News - Putin invites Zelensky to Moscow for talks",
     "Putin invites Zelensky to Moscow for talks"),
    ("EXCLUSIVE: Apple in talks to buy Beats for $3.2 billion",
     "Apple in talks to buy Beats for $3.2 billion - sources"),
    ("UPDATE 2-China's exports unexpectedly slump in February",
     "China's exports unexpectedly slump in February"),
    ("Malaysia Airlines flight MH370 missing with 239 aboard",
     "Malaysia Airlines flight MH370 with 239 aboard goes missing"),
    ("Fed holds rates steady, signals patience",
     "Fed holds interest rates steady and signals patience (Reuters)"),
    ("NATO soldier killed in Afghan attack", "NATO Soldier Killed In Afghan Attack"),
    ("Toyota to pay $1.2 billion to settle US probe",
     "Toyota to pay $1.2 bln to settle U.S. criminal probe - WSJ"),
    ("Obama unveils new sanctions on Russia over Crimea",
     "WRAPUP 1-Obama unveils new sanctions on Russia over Crimea"),
    ("Storm warning issued for the northern coast",
     "Storm warning issued for northern coast – Coastal Herald"),
]  # fmt: skip

MORE_NOT_MERGE = [
    ("Suicide bomber kills 12 in Nigeria church", "Suicide bomber kills 21 in NW Pakistan"),
    ("Mayor calls emergency summit over rail strike", "Mayor opens new rail museum"),
    ("Apple in talks to buy Beats", "Google in talks to buy Nest"),
    ("China's exports slump in February", "China's imports rise in March"),
    ("Fed holds rates steady", "ECB cuts rates to record low"),
    ("Earthquake of magnitude 6.1 hits Japan", "Earthquake of magnitude 7.4 hits Chile"),
    ("Putin invites Zelensky to Moscow", "Biden invites Macron to Washington"),
    ("Toyota recalls 6.4 million vehicles", "GM recalls 1.6 million vehicles"),
    pytest.param(
        "Stocks fall as oil prices rise",
        "Oil prices fall as stocks rise",
        marks=pytest.mark.xfail(
            strict=True,
            reason="known limit: a bag-of-words score cannot see "
            "who does what; the same words in swapped roles look alike",
        ),
    ),
    ("Storm warning issued for the northern coast", "Local bakery wins national bread award"),
    ("Microsoft launches Office for iPad", "Microsoft ends support for Windows XP"),
    ("Two killed in Kabul blast", "Four killed in Baghdad blast"),
]


@pytest.mark.parametrize(("a", "b"), MORE_MERGE)
def test_more_must_merge(a: str, b: str) -> None:
    score, duplicate = is_duplicate(a, b, DedupConfig())
    assert duplicate, f"{score:.1f}: {a!r} / {b!r}"


@pytest.mark.parametrize(("a", "b"), MORE_NOT_MERGE)
def test_more_must_not_merge(a: str, b: str) -> None:
    score, duplicate = is_duplicate(a, b, DedupConfig())
    assert not duplicate, f"{score:.1f}: {a!r} / {b!r}"
