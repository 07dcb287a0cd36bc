"""A poll's items are read by story matching and again by event assignment. A second read of
a poll of more than a feed's kept titles pushes its first titles out and counts them afresh,
so the events side can see labels the story side did not: what it did before the second read
of a small poll was skipped, and still does."""

from __future__ import annotations

from monitor.dedup.labels import KEPT_TITLES
from monitor.events.vectors import Feeds


def test_a_poll_of_more_than_kept_titles_is_read_again_by_events() -> None:
    feeds = Feeds()
    label = "Latest news"
    feeds.read_ahead([(5, label, s) for s in ("a", "b", "c")])  # an earlier poll: a label
    assert feeds.titles.is_label(5, label)
    # A big poll (a first fetch of a busy feed): a new headline, the label, then news.
    poll = [(5, "Quake hits coast", "q"), (5, label, "d")]
    poll += [(5, f"Story number {i}", f"s{i}") for i in range(KEPT_TITLES - 1)]
    feeds.titles.read_ahead(poll)  # story matching's read
    assert feeds.titles.is_label(5, label)
    feeds.read_ahead(poll)  # event assignment's read of the same items
    # 33 items: the first read pushed the new headline out, the second the label, which
    # is then counted anew from this one item.
    assert not feeds.titles.is_label(5, label)
