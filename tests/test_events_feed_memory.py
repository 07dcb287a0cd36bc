"""What the event index remembers of each feed, to set aside what says nothing of the news:
the titles it gives many items (labels, "Latest news") and the summaries it repeats under
other titles (boilerplate, "Continue reading"). It is kept for every feed, so at a thousand
feeds each byte of it is paid a thousand times over, for as long as the daemon runs."""

from __future__ import annotations

import tracemalloc

from monitor.events.vectors import Feeds

FEEDS = 1_000
POLLS = 40  # more than the titles and summaries kept of a feed: its memory is full


def _poll(number: int) -> list[tuple[int, str, str]]:
    """Each feed's new item of poll ``number``: a headline and a lede of its own, except for
    feed 0's label, a title it gives every item, and feed 1's closing line under each."""
    items = []
    for feed in range(FEEDS):
        title = f"Minister {feed} meets envoy {number} over harbour dispute"
        summary = f"Talks between the two sides {feed} resumed on day {number}."
        if feed == 0:
            title = "Latest news"
        if feed == 1:
            summary = "Continue reading at the Harbour Post"
        items.append((feed, title, summary))
    return items


def test_a_feeds_memory_of_labels_and_boilerplate_is_small() -> None:
    feeds = Feeds()
    tracemalloc.start()
    try:
        for number in range(POLLS):
            feeds.read_ahead(_poll(number))
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 7.4 KB a feed as dicts of int hashes and tuples of them (7 MB at a thousand feeds);
    # as bytes of the same hashes end to end, 2.1 KB.
    assert held / FEEDS < 3_000, held / FEEDS
    assert feeds.titles.is_label(0, "Latest news")
    assert not feeds.titles.is_label(2, f"Minister 2 meets envoy {POLLS - 1} over harbour dispute")
    assert feeds.words.repeated(1, "Continue reading at the Harbour Post")
    assert not feeds.words.repeated(2, f"Talks between the two sides 2 resumed on day {POLLS - 1}.")


def test_a_feeds_titles_keep_no_summary_they_never_compare() -> None:
    """Of a title's summaries, the one that makes it a label is never compared again: kept,
    it was 8 bytes of each of the 32 titles of every feed (1.4 KB a feed of these; 1.1 KB
    without it)."""
    feeds = Feeds()
    tracemalloc.start()
    try:
        for number in range(POLLS):
            feeds.titles.read_ahead(_poll(number))
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held / FEEDS < 1_300, held / FEEDS
    # A title is a label once it came with three summaries, however often each came again.
    titles = feeds.titles
    said = [(7, "Live updates", s) for s in ("a", "a", "b", "b", "a")]
    titles.read_ahead(said)
    assert not titles.is_label(7, "Live updates")
    titles.read_ahead([(7, "Live updates", "c")])
    assert titles.is_label(7, "Live updates")
    titles.read_ahead([(7, "Live updates", s) for s in ("d", "a", "e")])
    assert titles.is_label(7, "Live updates")
    assert titles.is_label(0, "Latest news")
