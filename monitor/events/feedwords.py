"""What one feed says under every item: boilerplate, which is no evidence of a happening.

An outlet may give every item the same summary ("Read more at Hong Kong Post", "Continue
reading") or close each with the same words ("The post ... appeared first on ..."). Shared by
all of that outlet's items, those words would make its unrelated news one event. ``FeedWords``
learns, per feed, the summaries it repeats (the same text under two items) and the summary
words most of its recent items carry, so that event assignment gives them no weight.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

# A feed's summary words are weighed over about its last ``1 / (1 - DECAY)`` summaries ...
DECAY = 0.8
# ... and one is boilerplate when it is in this share of them, once the feed has given at
# least ``MIN_SUMMARIES``: two that share words may well be about one happening.
SHARE = 0.8
MIN_SUMMARIES = 3
KEPT_WORDS = 64  # per feed: its boilerplate and its latest summaries' words
KEPT_TEXTS = 16  # per feed: the summaries last seen, to know one said again


@dataclass(slots=True)
class _Feed:
    summaries: int = 0
    mass: float = 0.0  # decayed count of summaries, in units of ``step`` (see ``learn``)
    step: float = 1.0
    words: dict[str, float] = field(default_factory=dict)  # decayed counts, in those units
    # hash of a summary -> said again (the latest last): a hash, as a summary's text would
    # take a few hundred bytes a feed for each
    texts: dict[int, bool] = field(default_factory=dict)


class FeedWords:
    """Per feed: the summaries it repeats and the summary words constant across its items."""

    def __init__(self) -> None:
        self._feeds: dict[int, _Feed] = {}

    def read_ahead(self, items: Iterable[tuple[int, str]]) -> None:
        """Note the summaries of a poll's items (feed, summary) before any is assigned: a
        summary that two items of one feed carry is boilerplate from the first of them."""
        for feed_id, summary in items:
            text = summary.strip()
            if not text:
                continue
            feed = self._feeds.get(feed_id)
            if feed is None:
                feed = self._feeds[feed_id] = _Feed()
            texts, key = feed.texts, hash(text)
            again = key in texts
            texts.pop(key, None)
            texts[key] = again
            if len(texts) > KEPT_TEXTS:
                del texts[next(iter(texts))]

    def repeated(self, feed_id: int | None, summary: str) -> bool:
        """Whether ``summary`` is one that feed ``feed_id`` gives more than one item."""
        feed = self._feeds.get(feed_id) if feed_id is not None else None
        return feed is not None and feed.texts.get(hash(summary.strip()), False)

    def constant(self, feed_id: int | None) -> frozenset[str] | None:
        """The summary words of feed ``feed_id`` that most of its items carry (None: none)."""
        feed = self._feeds.get(feed_id) if feed_id is not None else None
        if feed is None or feed.summaries < MIN_SUMMARIES:
            return None
        bar = SHARE * feed.mass
        out = frozenset([w for w, count in feed.words.items() if count >= bar])
        return out or None

    def learn(self, feed_id: int | None, words: Iterable[str]) -> None:
        """Count the words of a summary of feed ``feed_id``."""
        if feed_id is None:
            return
        feed = self._feeds.get(feed_id)
        if feed is None:
            feed = self._feeds[feed_id] = _Feed()
        # Older summaries fade by ``DECAY`` each: rather than scale every count down, each
        # new one counts ``1 / DECAY`` times the last (rescaled before it grows too big).
        if feed.step > 1e12:
            feed.words = {w: c / feed.step for w, c in feed.words.items()}
            feed.mass /= feed.step
            feed.step = 1.0
        step = feed.step
        counts = feed.words
        get = counts.get
        for word in set(words):
            counts[word] = get(word, 0.0) + step
        feed.mass += step
        feed.summaries += 1
        feed.step = step / DECAY
        if len(counts) > KEPT_WORDS + KEPT_WORDS // 2:
            heaviest = sorted(counts, key=counts.__getitem__, reverse=True)[:KEPT_WORDS]
            feed.words = {w: counts[w] for w in heaviest}
