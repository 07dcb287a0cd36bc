"""A poll's items are read by story matching and again by event assignment. A label one of
a big poll's first items carries (a poll of more than a feed's kept titles) is pushed out of
the feed's latest titles by the items after it: it is still a label to both readers, and the
second read counts nothing again. A label stays one however many other titles come between
its items, read live poll by poll or at start from the window in one chunk, and a feed's
many labels leave room to learn another."""

from __future__ import annotations

import pytest

from monitor.dedup.labels import KEPT_TITLES
from monitor.events.vectors import Feeds

LABEL = "Latest news"


@pytest.mark.parametrize("at", [0, 10, 20, 30, KEPT_TITLES + 7])
def test_a_label_in_a_big_poll_is_one_to_both_readers(at: int) -> None:
    feeds = Feeds()
    for summary in ("a", "b", "c"):  # earlier polls: a label
        feeds.read_ahead([(5, LABEL, summary)])
    assert feeds.titles.is_label(5, LABEL)
    poll = [(5, f"Story number {i}", f"s{i}") for i in range(KEPT_TITLES + 8)]
    poll[at] = (5, LABEL, "d")
    feeds.titles.read_ahead(poll)  # story matching's read
    assert feeds.titles.is_label(5, LABEL)
    feeds.read_ahead(poll)  # event assignment's read of the same items
    assert feeds.titles.is_label(5, LABEL)
    assert not feeds.titles.is_label(6, LABEL)  # another feed's title


def test_a_title_that_becomes_a_label_early_in_a_big_poll_stays_one() -> None:
    feeds = Feeds()
    poll = [(5, LABEL, s) for s in ("a", "b", "c")]
    poll += [(5, f"Story number {i}", f"s{i}") for i in range(KEPT_TITLES + 5)]
    feeds.titles.read_ahead(poll)
    feeds.read_ahead(poll)
    assert feeds.titles.is_label(5, LABEL)
    assert not feeds.titles.is_label(5, "Story number 1")


def test_a_label_stays_one_past_the_kept_titles_live_and_at_start() -> None:
    day1 = [(5, LABEL, s) for s in ("a", "b", "c")]
    day1 += [(5, f"Story number {i}", f"s{i}") for i in range(KEPT_TITLES + 8)]
    day2 = [(5, LABEL, "Fed holds rates")]
    live = Feeds()
    for poll in (day1, day2):
        live.titles.read_ahead(poll)  # story matching's read
        live.read_ahead(poll)  # event assignment's
    assert live.titles.is_label(5, LABEL)
    assert not live.titles.is_label(5, "Story number 0")  # pushed out: a headline
    at_start = Feeds()  # the window read again at start (store.events: one chunk)
    at_start.read_ahead(day1 + day2)
    assert at_start.titles.is_label(5, LABEL)


def test_a_feed_of_labels_alone_keeps_its_latest() -> None:
    feeds = Feeds()
    for n in range(KEPT_TITLES + 1):
        feeds.read_ahead([(5, f"Section {n}", s) for s in ("a", "b", "c")])
    assert not feeds.titles.is_label(5, "Section 0")  # the oldest made room
    assert all(feeds.titles.is_label(5, f"Section {n}") for n in range(1, KEPT_TITLES + 1))


def test_a_feed_with_many_labels_still_learns_a_new_one() -> None:
    feeds = Feeds()
    for n in range(KEPT_TITLES - 2):  # its sections, each a label
        feeds.read_ahead([(5, f"Section {n}", s) for s in ("a", "b", "c")])
    for k, lede in enumerate(("d", "e", "f")):  # a new label, a few headlines apart
        feeds.read_ahead([(5, LABEL, lede)] + [(5, f"Story {k}.{i}", f"s{k}{i}") for i in range(4)])
    assert feeds.titles.is_label(5, LABEL)
    assert feeds.titles.is_label(5, f"Section {KEPT_TITLES - 3}")  # the latest sections stay
    assert not feeds.titles.is_label(5, "Story 2.0")


def test_sections_that_come_round_in_turn_stay_labels() -> None:
    feeds = Feeds()
    sections = [f"Section {n} roundup" for n in range(KEPT_TITLES - 2)]
    for n, section in enumerate(sections):  # each learnt: 3 items, 3 summaries
        feeds.read_ahead([(5, section, f"note {k} of {n}") for k in range(3)])
    for day in range(3):  # then each section once a day, two headlines after it
        for n, section in enumerate(sections):
            feeds.read_ahead(
                [(5, section, f"day {day} of {n}"), (5, f"Story {day}.{n}", ""),
                 (5, f"Story {day}.{n}, officials say", "")]
            )  # fmt: skip
            assert feeds.titles.is_label(5, section), (day, section)
