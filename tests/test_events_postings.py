"""The index of event words is exact: an event whose centroid dropped a word (trim) no longer
counts as holding it, and one that took it back counts once. Else "how many other open events
name Putin" read two for one (a big live event that named him early, trimmed him away and
named him again), and the live daemon (its index compacted at each eviction) decided apart
from the restarted one (the same items added again by ``store.events.rebuild_index``, never
compacted): a follow-up of Putin's talks became a second event, a second "new" alert."""

from __future__ import annotations

import csv
import random

import pytest
from conftest import shared

from monitor.events import EventConfig, EventIndex

T = 1_700_000_000.0


def _w(rng: random.Random) -> str:
    """A made-up word (no real word: it shares nothing with the news)."""
    return "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(4))


def _talks(churn: bool) -> EventIndex:
    rng = random.Random(1)
    index = EventIndex(EventConfig(), 72 * 3600.0)
    # a big live event of other news that names Putin once, early
    index.add(1, 1, "Putin " + " ".join(_w(rng) for _ in range(12)), "", T - 3000)
    story = 2
    for k in range(70 if churn else 0):  # its coverage goes on: its centroid drops him
        index.add(1, story, f"{_w(rng).title()} {_w(rng)}", "", T - 2900 + k)
        story += 1
    index.add(1, story, "Putin " + _w(rng), "", T - 2000)  # ... and names him again
    index.add(2, 1000, "Putin holds talks in Minsk", "", T - 600)
    return index


@pytest.mark.parametrize("churn", [False, True])
def test_an_event_that_named_him_again_is_one_event_naming_him(churn: bool) -> None:
    found = _talks(churn).find(2000, "Putin holds more talks", "", T)
    assert found.event_id == 2, found


OPEN = [  # six other open events naming both
    "Kremlin says Putin will not attend G20",
    "Putin signs Kremlin decree on reservists",
    "Kremlin: Putin to meet Modi next month",
    "Putin fires Kremlin aide over leak",
    "Kremlin denies Putin illness report",
    "Putin hosts Lukashenko at Kremlin dinner",
]


def _kremlin(live: bool) -> EventIndex:
    with shared("uci-news-2014-03", "uci-news-aggregator_2014-03-10_12_slice.csv").open(
        encoding="utf-8", newline=""
    ) as f:
        other = [r[1] for r in list(csv.reader(f))[1:601]]
    rng = random.Random(7)
    index = EventIndex(EventConfig(), 72 * 3600.0)
    story = 0

    def add(event: int, title: str, seen: float) -> None:
        nonlocal story
        index.add(event, story, title, "", seen)
        story += 1

    if live:  # an event of four days ago: the live index holds it until its eviction
        add(-1, "Old news of four days ago", T - 96 * 3600)
    for n, title in enumerate(other):
        add(1 + n, title, T - 11 * 3600)
    # seven big live blogs that named Putin and the Kremlin once, early, then went on
    for n in range(7):
        add(5000 + n, "Putin Kremlin " + " ".join(_w(rng) for _ in range(12)), T - 10 * 3600)
        for k in range(70):
            add(5000 + n, f"{_w(rng).title()} {_w(rng)}", T - 10 * 3600 + k)
    for n, title in enumerate(OPEN):
        add(6000 + n, title, T - 3 * 3600 + 600 * n)
    add(7000, "Kremlin: Putin to address the nation on Friday", T)
    if live:
        assert index.evict(T - 72 * 3600) == 1  # the daemon's evict every 5 minutes
    return index


def test_the_restarted_daemon_decides_as_the_live_one() -> None:
    # the headline names Putin, the lede the Kremlin: both held by many events of the day
    item = ("Putin portrait removed from hall", "Kremlin staff took it down.")
    live = _kremlin(live=True).find(10**6, *item, T + 300)
    rebuilt = _kremlin(live=False).find(10**6, *item, T + 300)
    assert live.event_id == rebuilt.event_id, (live, rebuilt)
