"""How common a word is, the event index reads from the window's events only: a daemon that
runs for months then holds no word of the news it has forgotten (names, numbers, other
languages: each a word of its own), and decides as one restarted on the same window
(``store.events.rebuild_index`` adds the window's items again), not as one that still counts
the news of weeks ago. Which words are rare is learnt once: a daemon that has read
``LEARNED`` items stays learned when its window gets small; a restarted one has read the
items of its window."""

from __future__ import annotations

import random
import tracemalloc

import pytest

from monitor.events import EventConfig, EventIndex
from monitor.events.centroids import LEARNED
from monitor.events.cluster import Decision

T = 1_700_000_000.0
WINDOW = 72 * 3600.0


def _w(rng: random.Random) -> str:
    """A made-up word (no real word: it shares nothing with the news)."""
    return "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(4))


@pytest.mark.parametrize("copies", [0, 2])
def test_no_word_of_evicted_events_is_kept(copies: int) -> None:
    """Review21c's: hours of new spellings at a few hundred feeds, then the window empty;
    ``copies``: other outlets' items of each story, under headlines of their own."""
    index = EventIndex(EventConfig(), window=3600.0)
    tracemalloc.start()
    try:
        t = T
        for i in range(6_000 // (1 + copies)):
            title = f"Zork{i}a meets Blix{i}b over Quux{i}c deal in Vrell{i}d"
            found = index.find(i, title, "", t)
            event = i if found.event_id is None else found.event_id
            index.add(event, i, title, "", t)
            for n in range(copies):
                index.add(event, i, f"{title} {n} Glorp{i}x", "", t, new_story=False)
            t += 5.0
        assert index.evict(t + 10 * 3600) > 0
        snap = tracemalloc.take_snapshot().filter_traces(
            [tracemalloc.Filter(True, "*monitor/events/postings.py")]
        )
    finally:
        tracemalloc.stop()
    assert len(index) == 0
    held = sum(stat.size for stat in snap.statistics("filename"))
    assert held < 100_000, f"{held / 1e6:.1f} MB held after every event was evicted"


Item = tuple[int, str, str, float]  # story, title, summary, seen


def _old_news(rng: random.Random) -> list[Item]:
    """Five days ago: 600 items, many of them of a game ("Titanfall") and of "Zubrovka"."""
    items = []
    for n in range(600):
        topic = ("Titanfall", "Zubrovka", _w(rng).title())[n % 3]
        title = f"{topic} {_w(rng)} {_w(rng)} {_w(rng)}"
        items.append((n, title, "", T - 120 * 3600 + 60 * n))
    return items


def _filler(rng: random.Random, count: int) -> list[Item]:
    """Other news of the window: ``count`` items, each of its own happening."""
    return [
        (1000 + n, f"{_w(rng).title()} {_w(rng)} {_w(rng)}", "", T - 20 * 3600 + 60 * n)
        for n in range(count)
    ]


CASES = {
    # An item of the game's news under its topic ("Titanfall - ...", the segment story
    # matching strips as an outlet's): the topic counts as a word only when two items hold
    # it; one item of the window does, so it starts an event of its own.
    "topic": (
        500,
        [(5000, "Titanfall beta opens to everyone on Xbox", "", T - 1800)],
        [(5001, "Titanfall - Respawn ships the patch", "", T)],
        None,
    ),
    # The rarest eight words of an item draw its candidate events: "Zubrovka" is as rare in
    # the window as the words of a closed event, and comes first in the headline: the item
    # joins the dam's news.
    "rarest": (
        500,
        [
            (
                5000,
                "Grolbak Fendrix Multaw Pessovy Quarnel Rivtosk Sebbalo Tiznar",
                "",
                T - 20 * 3600,
            ),
            (5001, "Zubrovka dam holds", "", T - 1800),
        ],
        [(5002, "Zubrovka Grolbak Fendrix Multaw Pessovy Quarnel Rivtosk Sebbalo Tiznar", "", T)],
        5001,
    ),
}


def _assign(index: EventIndex, items: list[Item], events: dict[int, int]) -> list[Decision]:
    """Find and add each item; ``events``: story -> its event, as the live daemon decided
    (the store's, which a restart reads)."""
    out = []
    for story, title, summary, seen in items:
        found = index.find(story, title, summary, seen)
        event = events.setdefault(story, story if found.event_id is None else found.event_id)
        index.add(event, story, title, summary, seen)
        out.append(found)
    return out


def _live_and_restarted(
    filler: int, window: list[Item]
) -> tuple[EventIndex, EventIndex, dict[int, int]]:
    """The daemon that read the old news, evicted it and read the window's; one restarted
    then on the window it kept; and the stories' events."""
    rng = random.Random(5)
    old, now = _old_news(rng), _filler(rng, filler) + window
    events: dict[int, int] = {}
    live = EventIndex(EventConfig(), WINDOW)
    _assign(live, old, events)
    # the daemon evicts every 5 minutes: the old news has left the window
    assert live.evict(now[0][3] - WINDOW) == len({events[s] for s, *_ in old})
    _assign(live, now, events)
    rebuilt = EventIndex(EventConfig(), WINDOW)
    for story, title, summary, seen in now:  # in the order the store gives them
        rebuilt.add(events[story], story, title, summary, seen, embed=False)
    return live, rebuilt, events


@pytest.mark.parametrize("case", list(CASES))
def test_a_restarted_daemon_decides_as_the_live_one(case: str) -> None:
    filler, window, after, joins = CASES[case]
    live, rebuilt, events = _live_and_restarted(filler, window)
    decided = [(d.event_id, d.reason) for d in _assign(live, after, dict(events))]
    assert decided == [(d.event_id, d.reason) for d in _assign(rebuilt, after, dict(events))]
    assert [event_id for event_id, _ in decided] == [joins]


def test_a_daemon_stays_learned_and_a_restart_learns_its_window() -> None:
    """Before ``LEARNED`` items have taught the index which words are rare, a join needs two
    words in common. The daemon that read the old news has learnt, though its window now
    holds 40 items: "Zubrovka" alone joins the earthquake's report to the rescue's. One
    restarted on those 40 has not (it learns as it reads ``LEARNED`` items), nor counts
    itself learned on news it no longer holds."""
    first = (5000, "Zubrovka earthquake toll rises to 300", "", T - 1800)
    then = [(5001, "Zubrovka rescuers reach villages", "", T)]
    assert LEARNED > 40 + 1
    live, rebuilt, events = _live_and_restarted(40, [first])
    assert _assign(live, then, dict(events))[0].event_id == first[0]
    assert _assign(rebuilt, then, dict(events))[0].event_id is None
