"""Event assignment reads each item's headline as story matching parsed it (handed over in
the story decisions): the headline ``parse`` gives, so that events decide as they would
parsing the titles themselves."""

from __future__ import annotations

import csv
import itertools
from datetime import UTC, datetime

import pytest
from conftest import shared

from monitor import assign
from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import from_key, parse
from monitor.dedup.index import StoryIndex
from monitor.events import EventConfig, EventIndex
from monitor.models import Item, StoredItem, Story

T0 = 1_700_000_000.0
WIRE = "Putin invites Zelensky to Moscow for talks"
URDU = "نبی کریم ﷺ کی ولادت پر جلوس"


def _stored(n: int, title: str, guid: str | None, url: str | None, at: float) -> StoredItem:
    when = datetime.fromtimestamp(at, UTC)
    item = Item(f"k{n}", title, f"Lede of {title}", url, url, guid, when, when)
    return StoredItem(n, n % 7, f"Feed {n % 7}", (), item)


# Items in one poll: (title, guid, url). The second of each is found without its title being
# read (same GUID, same URL) or from the story window's recent titles (same title).
CASES = [
    ("same guid", [(WIRE, "urn:wire:2025-09-05:kremlin-talks", None), ("Kremlin says talks could be held in Moscow", "urn:wire:2025-09-05:kremlin-talks", None)]),
    ("same url", [(WIRE, None, "https://a.example/1"),
                  ("Zelensky turns down Moscow as venue", None, "https://a.example/1")]),
    ("same title", [(WIRE, None, None), (WIRE, None, None)]),
    # A word that folds into several ("ﷺ", common in Urdu and Arabic news) comes back from
    # the stored key as the same one word.
    ("same title, ligature", [(URDU, None, None), (URDU, None, None)]),
    ("new stories", [(WIRE, None, None), ("Floods close schools across the region", None, None)]),
]  # fmt: skip


@pytest.mark.parametrize(("case", "poll"), CASES, ids=[c[0] for c in CASES])
def test_each_item_hands_over_its_own_headline(
    case: str, poll: list[tuple[str, str | None, str | None]]
) -> None:
    index = StoryIndex(DedupConfig())
    items = [_stored(n, t, g, u, T0 + n) for n, (t, g, u) in enumerate(poll)]
    decisions = assign.stories(index, items, itertools.count(1))
    for decision in decisions:
        assert decision.headline == parse(decision.item.item.title), case


def _changes(decisions: list[assign.StoryDecision], handed: bool) -> list[assign.StoryChange]:
    """The store's changes for ``decisions`` (as store.stories.record makes them)."""
    out = []
    for d in decisions:
        item = d.item.item
        story = Story(d.story_id, item.title, item.url, d.item.seen_at, d.item.seen_at, ())
        headline = d.headline if handed else None
        out.append(assign.StoryChange(d.item, story, d.is_new_story, True, headline))
    return out


def test_events_with_the_handed_over_headlines_are_the_same_as_parsed() -> None:
    """Real headlines (UCI, polls of 50, each a new story or a copy of one, some copies
    under the same title): every event, reason, score and title is the same."""
    path = next(shared("uci-news-2014-03").glob("*.csv"))
    with path.open(encoding="utf-8", newline="") as f:
        rows = sorted(list(csv.reader(f))[1:], key=lambda r: int(r[7]))[:3000]
    stories = StoryIndex(DedupConfig())
    plans: dict[bool, list[tuple[int, int, bool, str]]] = {True: [], False: []}
    events = {handed: EventIndex(EventConfig(), 72 * 3600.0) for handed in plans}
    story_ids, event_ids = itertools.count(1), {h: itertools.count(1) for h in plans}
    for start in range(0, len(rows), 50):
        poll = [
            _stored(start + n, r[1], None, r[2], int(r[7]) / 1000)
            for n, r in enumerate(rows[start : start + 50])
        ]
        decisions = assign.stories(stories, poll, story_ids)
        for handed, index in events.items():
            plan = assign.events(index, _changes(decisions, handed), event_ids[handed])
            plans[handed] += [
                (c.story.story.id, c.event_id, c.is_new_event, index.title(c.event_id))
                for c in plan.changes
            ]
    assert len({event for _, event, _, _ in plans[True]}) > 100  # a real stream's events
    assert plans[True] == plans[False]


@pytest.mark.parametrize(
    "title",
    [URDU, "Allah ﷻ says", "Tokyo firm ㍿ listed", "Brand™ sues rival", "Rates up ½ point",
     "Greek ͺ iota", "Arabic ﹼ shadda"],
)  # fmt: skip
def test_a_headline_comes_back_from_its_key_as_parsed(title: str) -> None:
    """The story window keeps keys, not headlines: a word that folds into several must come
    back as the one word ``parse`` made of it, or events and stories read another headline
    for the second copy of a title."""
    parsed = parse(title)
    assert from_key(parsed.key()) == parsed
