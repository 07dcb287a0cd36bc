"""What one feed says under every item: boilerplate, which is no evidence of a happening.

An outlet may give every item the same summary ("Read more at Hong Kong Post", "Continue
reading"). Shared by all of that outlet's items, it would make its unrelated news one event.
``FeedWords`` learns, per feed, the summaries it repeats (the same text under two items of
other titles), so
that event assignment gives them no weight. The words most of a feed's summaries carry are
not boilerplate: during live coverage of one happening they are its own words.
"""

from __future__ import annotations

from collections.abc import Iterable

KEPT_TEXTS = 16  # per feed: the summaries last seen, to know one said again


class FeedWords:
    """Per feed: the summaries it repeats under other titles."""

    def __init__(self) -> None:
        # feed -> hash of a summary -> hash of the title it came under, or None: said under
        # two (the latest last). Hashes, as the texts would take a few hundred bytes a feed
        # for each.
        self._feeds: dict[int, dict[int, int | None]] = {}

    def read_ahead(self, items: Iterable[tuple[int, str, str]]) -> None:
        """Note the summaries of a poll's items (feed, title, summary) before any is
        assigned: a summary that two items of one feed carry under other titles is
        boilerplate from the first of them. One the feed sends again under its title is
        its story again (an update, a copy under a new GUID), not boilerplate."""
        for feed_id, title, summary in items:
            text = summary.strip()
            if not text:
                continue
            texts = self._feeds.get(feed_id)
            if texts is None:
                texts = self._feeds[feed_id] = {}
            key, titled = hash(text), hash(" ".join(title.casefold().split()))
            before = texts.pop(key, titled)
            texts[key] = before if before == titled else None
            if len(texts) > KEPT_TEXTS:
                del texts[next(iter(texts))]

    def repeated(self, feed_id: int | None, summary: str) -> bool:
        """Whether ``summary`` is one that feed ``feed_id`` gives items of other titles."""
        texts = self._feeds.get(feed_id) if feed_id is not None else None
        return (
            texts is not None
            and hash(summary.strip()) in texts
            and (texts[hash(summary.strip())] is None)
        )
