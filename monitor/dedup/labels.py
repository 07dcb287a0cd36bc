"""Titles a feed gives to many of its items ("Latest news", "Update"): labels, not headlines.

One outlet does not publish the same news under new GUIDs again and again: a title that a
feed's new items keep carrying names a section, and joining its items on it would make one
story (and one event) of unrelated news. ``FeedTitles`` counts, per feed, the new items
that carried each of its recent titles.
"""

from __future__ import annotations

from collections.abc import Iterable

# New items of one feed under one title from which it is a label: an outlet may send a
# story again (corrected, updated) under its headline, not twice more.
LABEL_ITEMS = 3
KEPT_TITLES = 32  # per feed, the latest


class FeedTitles:
    """Per feed: how many new items carried each of its latest titles."""

    def __init__(self) -> None:
        self._feeds: dict[int, dict[int, int]] = {}  # feed -> hash of title -> new items

    def read_ahead(self, items: Iterable[tuple[int, str]]) -> None:
        """Count a poll's new items (feed, title) before any is assigned: a label is known
        from its first item."""
        for feed_id, title in items:
            titles = self._feeds.get(feed_id)
            if titles is None:
                titles = self._feeds[feed_id] = {}
            key = hash(" ".join(title.casefold().split()))
            count = titles.pop(key, 0) + 1
            titles[key] = count
            if len(titles) > KEPT_TITLES:
                del titles[next(iter(titles))]

    def is_label(self, feed_id: int | None, title: str) -> bool:
        """Whether feed ``feed_id`` gives ``title`` to many of its items."""
        titles = self._feeds.get(feed_id) if feed_id is not None else None
        if not titles:
            return False
        return titles.get(hash(" ".join(title.casefold().split())), 0) >= LABEL_ITEMS
