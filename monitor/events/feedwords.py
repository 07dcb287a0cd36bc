"""What one feed says under every item: boilerplate, which is no evidence of a happening.

An outlet may give every item the same summary ("Read more at Hong Kong Post", "Continue
reading"). Shared by all of that outlet's items, it would make its unrelated news one event.
``FeedWords`` learns, per feed, the summaries it repeats (the same text under two items of
other titles), so
that event assignment gives them no weight. The words most of a feed's summaries carry are
not boilerplate: during live coverage of one happening they are its own words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from monitor.dedup.labels import HASH, find, packed, title_key
from monitor.textfold import compatible

KEPT_TEXTS = 16  # per feed: the summaries last seen, to know one said again
# What a feed keeps of a summary besides its hash: the hash of the title it came under,
# and whether it came under two (a byte).
_KEPT = HASH + 1
_ONCE, _TWICE = b"\x00", b"\x01"


class FeedWords:
    """Per feed: the summaries it repeats under other titles."""

    def __init__(self) -> None:
        # feed -> the hashes of its latest summaries (as the texts would take a few hundred
        # bytes each), the oldest first, and beside them what it keeps of each
        self._feeds: dict[int, tuple[bytearray, bytearray]] = {}

    def read_ahead(
        self, items: Iterable[tuple[int, str, str]], key: Callable[[str], bytes] = title_key
    ) -> None:
        """Note the summaries of a poll's items (feed, title, summary) before any is
        assigned: a summary that two items of one feed carry under other titles is
        boilerplate from the first of them. One the feed sends again under its title is
        its story again (an update, a copy under a new GUID), not boilerplate. ``key``:
        ``title_key``, or a copy that knows the poll's titles (``FeedTitles.key``)."""
        feeds = self._feeds
        for feed_id, title, summary in items:
            text = compatible(summary).strip()
            if not text:
                continue
            kept = feeds.get(feed_id)
            if kept is None:
                kept = feeds[feed_id] = (bytearray(), bytearray())
            texts, titles = kept
            said, titled = packed(text), key(title)
            at = find(texts, said)
            twice = _ONCE
            if at >= 0:
                start = at * _KEPT
                if titles[start + HASH] or titles[start : start + HASH] != titled:
                    twice = _TWICE
                del texts[at * HASH : at * HASH + HASH], titles[start : start + _KEPT]
            texts += said
            titles += titled + twice
            if len(texts) > KEPT_TEXTS * HASH:
                del texts[:HASH], titles[:_KEPT]

    def repeated(self, feed_id: int | None, summary: str) -> bool:
        """Whether ``summary`` is one that feed ``feed_id`` gives items of other titles."""
        kept = self._feeds.get(feed_id) if feed_id is not None else None
        if kept is None:
            return False
        at = find(kept[0], packed(compatible(summary).strip()))
        return at >= 0 and bool(kept[1][at * _KEPT + HASH])
