"""Dedup, the pure part: headline normalization, the similarity score, the story index."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import names, normalize, numbers, parse, tokens
from monitor.dedup.index import PER_STORY, StoryIndex
from monitor.dedup.score import is_duplicate, score_headlines, similarity

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
    ("Toyota to pay $1.2 billion to settle US probe",
     "Toyota to pay $1.2 bln to settle U.S. criminal probe - WSJ"),
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
    # A revised figure is news, not a copy: two stories, which their event joins, so the
    # new figure reaches the reader as the event's update (test_dedup_figures.py).
    ("Quake kills 12 in southern Chile", "UPDATE 3-Quake kills 21 in southern Chile"),
    # Templates: with two words besides its numbers, a headline is mostly its numbers.
    ("Feed 1 update 3", "Feed 1 update 4"),
    ("Lottery results for 12 March", "Lottery results for 13 March"),
    ("Day 12 of the trial", "Day 13 of the trial"),
    pytest.param(
        "Stocks fall as oil prices rise",
        "Oil prices fall as stocks rise",
        marks=pytest.mark.xfail(
            strict=True,
            reason="known limit: a bag-of-words score cannot see "
            "who does what; the same words in swapped roles look alike",
        ),
    ),
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
    ("title", "plain"),
    [
        ("UPDATE 2-China exports slump", "China exports slump"),
        ("EXCLUSIVE: Apple buys Beats", "Apple buys Beats"),
        ("Putin invites Zelensky to Moscow - Reuters", "Putin invites Zelensky to Moscow"),
        ("BBC News - Putin invites Zelensky to Moscow", "Putin invites Zelensky to Moscow"),
        ("Putin invites Zelensky to Moscow (AP)", "Putin invites Zelensky to Moscow"),
        ("Crème brûlée wins the prize!", "creme brulee wins prize"),
        ("Sixteen killed in Venezuela prison", "16 killed in Venezuela prison"),
        ("More than 1,000 inmates escape", "More than 1000 inmates escape"),
        ("U.S. drone kills 14", "US drone kills 14"),
    ],
)
def test_wrappers_case_accents_and_spelling_do_not_count(title: str, plain: str) -> None:
    assert normalize(title) == normalize(plain)
    assert tokens(title) == normalize(plain).split()


def test_numbers_dates_and_names() -> None:
    title = "Suicide bomber kills 12 in Nigeria church on Monday, 6.4 quake hits Chile"
    assert numbers(title) == {"12", "6.4", "monday"}
    assert names(title) == {"nigeria", "chile"}  # "Suicide" is the first word
    # In Title Case every word has a capital: only acronyms still count as names.
    assert names("Nato Soldier Killed In Afghan Attack By UK Troops") == {"uk"}


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
RAIL_WIRE = "Rail strike: mayor calls summit - Wire"


def _big_index(n: int) -> StoryIndex:
    index = StoryIndex(CONFIG)
    for i in range(n):
        title = f"Quarterly report number {i} of company{i % 5000} in sector{i % 37}"
        index.add(i, i, title, "", NOW)
    return index


def test_find_never_scans_the_window() -> None:
    index = _big_index(50_000)
    index.add(99_999, 99_999, RAIL, "", NOW)
    found = index.find(RAIL_WIRE, "", NOW + 60)
    assert (found.story_id, found.reason) == (99_999, "similar headline")
    assert index.last_candidates <= CONFIG.max_candidates
    found = index.find("Quarterly report number 77 of company77 in sector3", "", NOW)
    assert found.story_id == 77 and index.last_candidates <= CONFIG.max_candidates
    assert index.find("Totally unrelated words here", "", NOW).story_id is None


def test_a_copy_of_a_running_story_rebuilds_few_headlines() -> None:
    # Thirty outlets' copies of one wire story, in ten stories of their own, and a local
    # version: a new copy of that is placed after scoring a headline or two, not all thirty
    # (each is rebuilt from the window and scored: the dearest part of a find), and joins the
    # closest.
    index = StoryIndex(CONFIG)
    wire = "Harbour workers end strike after pay deal with port operator"
    for i in range(30):
        suffix = ["", " - Wire", " | Daily Post"][i % 3]
        index.add(i // 3, i, f"{wire}{suffix}", "", NOW + i)
    index.add(99, 99, "Rotterdam harbour workers end strike after pay deal", "", NOW)
    found = index.find("Rotterdam harbour workers end strike after pay deal (AP)", "", NOW + 60)
    assert found.story_id == 99
    assert index.last_candidates <= 2


def test_too_common_words_draw_candidates_only_together() -> None:
    # A word in more than max_postings headlines draws no candidates alone, but two such
    # words found together in few headlines do (intersected in C): brute force at a million
    # headlines found pairs sharing only common words that the score calls one story.
    index = StoryIndex(DedupConfig(max_postings=10))
    for i in range(15):
        index.add(i, i, f"alpha filler{i} thing{i}", "", NOW)
        index.add(100 + i, 100 + i, f"beta other{i} stuff{i}", "", NOW)
    index.add(50, 50, "alpha beta harbour", "", NOW)
    found = index.find("Alpha beta", "", NOW)
    assert (found.story_id, found.reason) == (50, "similar headline")
    # A common word counts with a rare one; alone it draws nothing.
    assert index.find("alpha harbours", "", NOW).story_id == 50
    assert index.find("alpha gamma", "", NOW).story_id is None
    # A pair that a template puts in every headline draws nothing, as a common word does.
    for i in range(30):
        index.add(200 + i, 200 + i, f"common words everywhere item{i}", "", NOW)
    assert index.find("common words everywhere", "", NOW).story_id is None
    assert index.last_candidates == 0


def test_a_templated_story_is_judged_on_a_few_of_its_headlines() -> None:
    # A live page of look-alike headlines ("Harbour strike live: ... update 567000003") and
    # one without the number: the score calls it a copy of each (it has no figure of its
    # own), and without a bound on candidates each find would score hundreds of the story's
    # items. (Two of the numbered ones disagree on a figure: each is a story of its own.)
    index = StoryIndex(CONFIG)
    for i in range(1500):
        index.add(1, i, f"Harbour strike live: council talks update {567000000 + i}", "", NOW + i)
    found = index.find("Harbour strike live: council talks update", "", NOW + 1500)
    assert found.story_id == 1 and 0 < index.last_candidates <= PER_STORY


def test_a_big_story_does_not_hide_a_closer_one() -> None:
    # 1,900 headlines of one running story share more words with the new item than the
    # one headline that says what it says; the per-story cap came after the cut to the
    # best 1,600 drawn, which were all the big story's, so the closer story was never
    # scored and the item joined the big one at 74.
    index = StoryIndex(CONFIG)
    for i in range(1900):
        index.add(1, i, f"MH370 search day {100 + i}: Australia debris, families wait", "", NOW + i)
    index.add(2, 5000, "MH370 families wait as search enters day 3", "", NOW + 100)
    found = index.find(
        "MH370: families wait as Australia debris search enters day 3", "", NOW + 2000
    )
    assert found.story_id == 2 and found.score > 90


def test_url_and_guid_join_within_the_window_only() -> None:
    index = StoryIndex(CONFIG)
    guid = "urn:uuid:0b8f2c1e-4d4a-4c1e-9a57-1f0e7d2c3b4a"
    index.add(7, 70, "Something happened", "", NOW, "https://a.example/x", guid)
    # A new GUID but the same canonical URL: the same story.
    found = index.find("Other words", "", NOW + 60, "https://a.example/x", "urn:uuid:other")
    assert found == (7, 100.0, "same url")
    assert index.find("Other words", "", NOW + 60, None, guid).reason == "same guid"
    late = NOW + CONFIG.window + 1
    assert index.find("Other words", "", late, "https://a.example/x").story_id is None


def test_short_guids_numbered_per_feed_join_nothing() -> None:
    """Two feeds' item "1" (JSON Feed ids, WordPress post numbers) are different articles."""
    index = StoryIndex(CONFIG)
    index.add(1, 1, "Council approves new cycle lanes", "", NOW, "https://a.example/1", "1")
    found = index.find("Museum reopens after renovation", "", NOW + 60, "https://b.example/1", "1")
    assert found.story_id is None
    tagged = "tag:wire.example,2025:story-1"
    index.add(2, 2, "Harbour strike ends", "", NOW, "https://a.example/2", tagged)
    assert index.find("Strike over", "", NOW + 60, None, tagged).reason == "same guid"


def test_headlines_outside_the_window_do_not_join() -> None:
    index = StoryIndex(CONFIG)
    index.add(1, 1, RAIL, "", datetime.fromtimestamp(NOW, UTC))
    assert index.find(RAIL, "", NOW + CONFIG.window + 1).story_id is None
    assert index.find(RAIL, "", NOW - CONFIG.window - 1).story_id is None
    assert index.find(RAIL, "", datetime.fromtimestamp(NOW + 60, UTC)).story_id == 1


def test_a_story_does_not_drift_one_edit_at_a_time() -> None:
    # Each headline is close to the one before, but the last is no longer the first's news.
    chain = [
        "Titanfall launches on Xbox One to strong reviews",
        "Titanfall launch on Xbox One hit by Xbox Live outage",
        "Xbox Live outage hits Titanfall players",
    ]
    index = StoryIndex(CONFIG)
    index.add(1, 1, chain[0], "", NOW)
    found = index.find(chain[1], "", NOW + 60)
    assert found.story_id == 1
    index.add(1, 2, chain[1], "", NOW + 60)
    assert similarity(chain[2], chain[1], CONFIG) >= CONFIG.threshold
    assert index.find(chain[2], "", NOW + 120).story_id is None
    # Single link alone (no check against the first headline) would chain it in.
    single = StoryIndex(CONFIG.model_copy(update={"first_threshold": 0.0}))
    single.add(1, 1, chain[0], "", NOW)
    single.add(1, 2, chain[1], "", NOW + 60)
    assert single.find(chain[2], "", NOW + 120).story_id == 1


def test_evict_forgets_old_entries_and_compacts() -> None:
    index = StoryIndex(CONFIG)
    for i in range(3000):
        at = NOW + i * 60
        index.add(i, i, f"Headline {i} about topic{i}", "", at, f"https://x/{i}", f"urn:g{i}")
    before = index.memory_bytes()
    assert index.evict(NOW + 2500 * 60) == 2500 and len(index) == 500
    assert index.evict(NOW + 2500 * 60) == 0  # the horizon only moves forward
    assert index.memory_bytes() < before / 2  # compacted: the evicted entries are gone
    at = NOW + 2999 * 60
    assert index.find("x", "", at, "https://x/10").story_id is None
    assert index.find("x", "", at, None, "urn:g2999").story_id == 2999
    assert index.find("x", "", at, "https://x/2600").story_id == 2600
    assert index.find("Headline 10 about topic10", "", at).story_id is None
    assert index.find("Headline 2999 about topic2999", "", at).story_id == 2999


def test_a_late_backdated_item_is_evicted_at_birth_and_story_ids_may_be_wide() -> None:
    index = StoryIndex(CONFIG)
    index.add(1, 1, "Harbour strike ends after talks", "", NOW)
    assert index.evict(NOW + 10) == 1 and len(index) == 0
    index.add(2, 2, "Harbour strike ends after long talks", "", NOW - 100)  # before the horizon
    assert len(index) == 0 and index.evict(NOW + 20) == 0
    wide = 2**40  # wider than the 32-bit story array: it widens
    index.add(wide, 3, RAIL, "", NOW + 60)
    assert len(index) == 1 and index.find(RAIL_WIRE, "", NOW + 120).story_id == wide
    loaded = StoryIndex(CONFIG)
    loaded.load([5, wide], ["harbour strike end talk", "mayor call summit rail strike"],
                [NOW, NOW], [None, None], [None, None])  # fmt: skip
    assert loaded.find(RAIL_WIRE, "", NOW + 120).story_id == wide


# More pairs, in the style of wire copy and the UCI stream.


def _synthetic_window(rng: random.Random, n: int) -> list[str]:
    """News-like headlines: Zipfian words, a tenth of them edited copies of a recent one."""
    vocab = [f"{a}{b}{c}" for a in ("ka", "ro", "mi", "ne", "tu", "la", "ost", "zi") for b in
             ("lin", "dor", "mar", "tes", "bel", "fen", "gor", "qui") for c in ("a", "o", "ix", "um",
             "er", "ai")]  # fmt: skip
    weights = [1 / (i + 10) for i in range(len(vocab))]
    out: list[str] = []
    for _ in range(n):
        if out and rng.random() < 0.1:
            words = rng.choice(out[-500:]).split()
            if rng.random() < 0.5:
                words[rng.randrange(len(words))] = rng.choices(vocab, weights)[0]
            else:
                words.reverse()
            out.append(" ".join(words) + rng.choice(["", " - Wire"]))
        else:
            out.append(" ".join(rng.choices(vocab, weights, k=rng.randint(3, 8))))
    return out


def test_index_finds_what_a_scan_of_the_window_finds() -> None:
    # Recall against brute force: every probe that scores as a duplicate of some headline of
    # the window is placed in a story by the index, which scores few candidates.
    rng = random.Random(3)
    headlines = _synthetic_window(rng, 3300)
    window, probes = headlines[:3000], headlines[3000:]
    index = StoryIndex(CONFIG)
    for i, title in enumerate(window):
        index.add(i, i, title, "", NOW)
    parsed = [parse(t) for t in window]
    matched = 0
    for title in probes:
        probe = parse(title)
        if any(score_headlines(probe, other, CONFIG) >= CONFIG.threshold for other in parsed):
            matched += 1
            assert index.find(title, "", NOW).story_id is not None, title
            assert index.last_candidates <= CONFIG.max_candidates
    assert matched >= 30  # the table has teeth


def test_load_is_add_row_by_row() -> None:
    # The rebuild at start loads stored keys in bulk; the index is the same as one built by add.
    rng = random.Random(5)
    titles = _synthetic_window(rng, 400)
    rows = [(i // 3, i, t, NOW + i, f"https://x/{i}", f"urn:g{i}") for i, t in enumerate(titles)]
    added, loaded = StoryIndex(CONFIG), StoryIndex(CONFIG)
    keys = [added.add(s, i, t, "", at, url, guid) for s, i, t, at, url, guid in rows]
    stories, _, _, seen, urls, guids = zip(*rows, strict=True)
    for part in (slice(0, 150), slice(150, None)):
        assert loaded.load(stories[part], keys[part], seen[part], urls[part], guids[part]) == len(
            keys[part]
        )
    for index in (added, loaded):
        assert len(index) == 400
    for title in [*titles[::7], "unrelated words entirely"]:
        assert added.find(title, "", NOW + 500) == loaded.find(title, "", NOW + 500)
    assert loaded.find("x", "", NOW + 500, "https://x/77").story_id == 77 // 3
    assert loaded.find("x", "", NOW + 500, None, "urn:g399").story_id == 399 // 3


def test_a_key_given_by_two_rows_belongs_to_the_later_after_a_rebuild_too() -> None:
    # An older item's GUID is a newer item's URL: added one by one, the URL names the newer
    # item's story; the rebuild at start must not hand it back to the older one.
    rows = [(1, 0, RAIL, NOW, "https://x/0", "https://x/a"), (2, 1, "Zoo opens", NOW + 1,
            "https://x/a", None)]  # fmt: skip
    added, loaded = StoryIndex(CONFIG), StoryIndex(CONFIG)
    keys = [added.add(s, i, t, "", at, url, guid) for s, i, t, at, url, guid in rows]
    stories, _, _, seen, urls, guids = zip(*rows, strict=True)
    loaded.load(stories, keys, seen, urls, guids)
    for index in (added, loaded):
        assert index.find("x", "", NOW + 5, "https://x/a").story_id == 2


def test_a_clock_past_2106_neither_adds_nor_loads_differently() -> None:
    # Seen times are kept in 32 bits: add raised OverflowError there, load wrapped around
    # (to 1970: the story left the window).
    late = 2.0**32 + 600
    added, loaded = StoryIndex(CONFIG), StoryIndex(CONFIG)
    key = added.add(1, 1, RAIL, "", late)
    loaded.load([1], [key], [late], [None], [None])
    for index in (added, loaded):
        assert index.find(RAIL, "", late).story_id == 1


def test_templated_headlines_do_not_chain_into_one_story() -> None:
    """300 live pages of one template ("Feed 7 update 580000003"), eight updates each: each
    headline is its own news (before, they chained into a few stories of hundreds)."""
    index = StoryIndex(CONFIG)
    stories = set()
    for entry, (t, i) in enumerate(
        (t, i) for t in range(580_000_000, 580_000_008) for i in range(300)
    ):
        title = f"Feed {i} update {t}"
        found = index.find(title, "", 1000.0)
        story = entry if found.story_id is None else found.story_id
        index.add(story, entry, title, "", 1000.0)
        stories.add(story)
    assert len(stories) == 2400
