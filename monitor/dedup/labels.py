"""Titles a feed gives to many of its items ("Latest news", "Update"): labels, not headlines.

One outlet does not publish the same news under new GUIDs again and again: a title that a
feed's new items keep carrying names a section, and joining its items on it would make one
story (and one event) of unrelated news. ``FeedTitles`` counts, per feed, the new items
that carried each of its recent titles.
"""

from __future__ import annotations

from collections.abc import Iterable

# New items of one feed under one title, with as many summaries, from which it is a label:
# an outlet may send a story again (corrected, updated) under its headline, not twice more
# with other news under it. A copy sent again with its summary (a new GUID and URL) is the
# same story, and counts once.
LABEL_ITEMS = 3
KEPT_TITLES = 32  # per feed, the latest


def _title_key(title: str) -> int:
    return hash(" ".join(title.casefold().split()))


class FeedTitles:
    """Per feed: the summaries (by hash, up to ``LABEL_ITEMS``) that new items carried
    under each of its latest titles."""

    def __init__(self) -> None:
        # feed -> hash of title -> hashes of the summaries under it
        self._feeds: dict[int, dict[int, tuple[int, ...]]] = {}

    def read_ahead(self, items: Iterable[tuple[int, str, str]]) -> None:
        """Count a poll's new items (feed, title, summary) before any is assigned: a label
        is known from its first item. An item read again counts once."""
        for feed_id, title, summary in items:
            titles = self._feeds.get(feed_id)
            if titles is None:
                titles = self._feeds[feed_id] = {}
            key = _title_key(title)
            summaries = titles.pop(key, ())
            said = hash(" ".join(summary.split()))
            if said not in summaries and len(summaries) < LABEL_ITEMS:
                summaries = (*summaries, said)
            titles[key] = summaries
            if len(titles) > KEPT_TITLES:
                del titles[next(iter(titles))]

    def is_label(self, feed_id: int | None, title: str) -> bool:
        """Whether feed ``feed_id`` gives ``title`` to many of its items."""
        titles = self._feeds.get(feed_id) if feed_id is not None else None
        if not titles:
            return False
        return len(titles.get(_title_key(title), ())) >= LABEL_ITEMS
