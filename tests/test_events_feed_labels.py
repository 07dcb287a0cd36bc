"""A poll's items are read by story matching and again by event assignment. A label one of
a big poll's first items carries (a poll of more than a feed's kept titles) is pushed out of
the feed's latest titles by the items after it: it is still a label to both readers, and the
second read counts nothing again."""

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
