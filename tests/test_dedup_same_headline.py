"""A headline seen again word for word (wire copy on another outlet), or with its words in
another order, joins the story that carries it, as any similar headline does: only while that story is open and in the window,
only when the story's first headline agrees, and the newest such story when two carry it."""

from __future__ import annotations

from monitor.dedup.config import DedupConfig
from monitor.dedup.index import StoryIndex

NOW = 1_700_000_000.0
HOUR = 3600.0
WIRE = "Putin invites Zelensky to Moscow for peace talks"
# A story whose first headline is far from its latest (it drifted one edit at a time).
FIRST = "Central bank raises interest rates again"

# (what the window holds: story, headline, hours after NOW), (the new headline, when), the
# story it must join (None: a new story)
CASES = {
    "same headline, another outlet": ([(1, WIRE, 0.0)], (WIRE, 1.0), 1),
    "the same after an outlet's tag": ([(1, WIRE, 0.0)], (f"{WIRE} - Reuters", 1.0), 1),
    "the same words in another order": (
        [(1, WIRE, 0.0)],
        ("Zelensky invites Putin for peace talks to Moscow", 1.0),
        1,
    ),
    "the same words, another order, the story has closed": (
        [(1, WIRE, 0.0)],
        ("Zelensky invites Putin for peace talks to Moscow", 13.0),
        None,
    ),
    "the same words, another order, its story's first rules it out": (
        [(5, FIRST, 0.0), (5, WIRE, 1.0)],
        ("Moscow peace talks: Putin invites Zelensky", 2.0),
        None,
    ),
    "the story has closed (quiet)": ([(1, WIRE, 0.0)], (WIRE, 13.0), None),
    "out of the window": ([(1, WIRE, 0.0)], (WIRE, 73.0), None),
    "two stories carry it: the newest": ([(1, WIRE, 0.0), (2, WIRE, 14.0)], (WIRE, 15.0), 2),
    "the story's first headline rules it out": (
        [(5, FIRST, 0.0), (5, WIRE, 1.0)],
        (WIRE, 2.0),
        None,
    ),
}


def test_a_headline_seen_word_for_word_joins_as_a_similar_one_would() -> None:
    for name, (window, (headline, hours), story) in CASES.items():
        config = DedupConfig()
        index = StoryIndex(config)
        for i, (story_id, title, at) in enumerate(window):
            index.add(story_id, i, title, "", NOW + at * HOUR, f"https://a.example/{i}")
        found = index.find(headline, "", NOW + hours * HOUR, "https://b.example/new")
        assert found.story_id == story, (name, found)
        if story is not None:
            assert found.reason == "similar headline", (name, found)


def test_a_restart_decides_the_same() -> None:
    """The window rebuilt at start (``load``, from the keys ``add`` returned) finds the same
    stories for headlines seen word for word as the window that was running."""
    for name, (window, (headline, hours), story) in CASES.items():
        running = StoryIndex(DedupConfig())
        rows = []
        for i, (story_id, title, at) in enumerate(window):
            url = f"https://a.example/{i}"
            key = running.add(story_id, i, title, "", NOW + at * HOUR, url)
            rows.append((story_id, key, NOW + at * HOUR, url))
        restarted = StoryIndex(DedupConfig())
        stories, keys, seen, urls = (list(column) for column in zip(*rows, strict=True))
        restarted.load(stories, keys, seen, urls, [None] * len(rows))
        found = restarted.find(headline, "", NOW + hours * HOUR, "https://b.example/new")
        assert found.story_id == story, (name, found)


def test_the_first_headlines_verdict_is_the_same_each_time_it_is_asked() -> None:
    """Copies with the same words ask a story's first headline again and again (each outlet
    runs the copy): the verdict does not change, and it is the first of that story's."""
    index = StoryIndex(DedupConfig())
    index.add(5, 0, FIRST, "", NOW, "https://a.example/0")
    index.add(5, 1, WIRE, "", NOW + HOUR, "https://a.example/1")
    reordered = "Zelensky invites Putin for peace talks to Moscow"
    for i in range(3):
        found = index.find(reordered, "", NOW + 2 * HOUR, f"https://b.example/{i}")
        assert found.story_id is None, (i, found)
    # Another story whose first headline is the copy itself: the same words join it.
    index.add(9, 2, WIRE, "", NOW + 3 * HOUR, "https://a.example/2")
    found = index.find(reordered, "", NOW + 3 * HOUR, "https://b.example/9")
    assert found.story_id == 9


def test_a_kept_verdict_is_asked_anew_when_the_stories_first_headline_is_evicted() -> None:
    """A copy with the same words as one that agreed with its story's first headline joins on
    that verdict; once that first headline is evicted, the story's oldest live headline stands
    in for it and the copy must agree with that one instead."""
    index = StoryIndex(DedupConfig())
    for i in range(1100):  # evicted with the first headline: enough for the window to compact
        index.add(1000 + i, 100 + i, f"Quarterly harvest report {i} for region", "", NOW)
    index.add(5, 0, FIRST, "", NOW, "https://a.example/0")
    index.add(5, 1, "Bank chief warns of recession next year", "", NOW + HOUR)
    agreed = "Central bank raises interest rates to fight inflation"
    found = index.find(agreed, "", NOW + 1.5 * HOUR, "https://a.example/2")
    assert found.story_id == 5
    index.add(5, 2, agreed, "", NOW + 1.5 * HOUR, "https://a.example/2")
    copy = "To fight inflation, central bank raises interest rates"
    assert index.find(copy, "", NOW + 2 * HOUR, "https://b.example/0").story_id == 5
    index.evict(NOW + 0.5 * HOUR)
    assert index.find(copy, "", NOW + 2 * HOUR, "https://b.example/1").story_id is None


def test_a_headline_added_again_after_the_window_compacted_keeps_its_words() -> None:
    """A wire copy is stored from the words of the entry it repeats; once eviction has
    renumbered the entries, the copy is stored from its own words, not another entry's."""
    index = StoryIndex(DedupConfig())
    old = 1001  # evicted, past what the window keeps before it renumbers its entries
    for i in range(old):
        index.add(10 + i, i, f"Storm closes {i} schools", "", NOW, f"https://a.example/old/{i}")
    key = index.add(1, old, WIRE, "", NOW + 10 * HOUR, "https://a.example/wire/1")
    assert index.evict(NOW + 5 * HOUR) == old
    again = index.add(1, old + 1, WIRE, "", NOW + 11 * HOUR, "https://b.example/wire/2")
    assert again == key
    found = index.find(WIRE, "", NOW + 12 * HOUR, "https://c.example/wire/3")
    assert (found.story_id, found.reason) == (1, "similar headline")


# (max_postings, the window's headlines: story and title, the new headline, the story it
# joins: None for a new one). The window's words are counted as each find sees them,
# whether the headlines came one find at a time or were added in a run.
COMMON_WORDS = {
    "a template: its words in more headlines than the cap": (
        2,
        [(1, "Feed alpha update"), (1, "Feed alpha update"), (1, "Feed alpha update")],
        "update alpha feed",
        None,
    ),
    "one word at the cap, not past it": (
        3,
        [(1, "Feed alpha update"), (1, "Feed alpha update"), (2, "Feed beta note")],
        "update alpha feed",
        1,
    ),
    "a rare word keeps it": (
        2,
        [(1, "Feed alpha update"), (1, "Feed alpha update"), (1, "Feed alpha update")],
        "update alpha feed omega",
        None,
    ),
}


def test_a_copy_of_common_words_is_judged_on_every_headline_of_the_window() -> None:
    for name, (cap, window, headline, story) in COMMON_WORDS.items():
        found = []
        for one_by_one in (True, False):
            index = StoryIndex(DedupConfig(max_postings=cap))
            for i, (story_id, title) in enumerate(window):
                if one_by_one:  # as the daemon does: each item found before it is added
                    index.find(title, "", NOW, f"https://a.example/{i}")
                index.add(story_id, i, title, "", NOW, f"https://a.example/{i}")
            found.append(index.find(headline, "", NOW + HOUR, "https://b.example/new").story_id)
        assert found == [story, story], name
