"""Each feed's memory of the items of its last body (``parse.known``), in this process only:
a changed feed's poll then parses, normalizes and stores only what is new in it.

24 bytes an item in arrays, about 1.6 KB a feed of 50 items with the objects around them:
1.6 MB at 1,000 such feeds, 16 MB at 10,000. Nothing of it is written anywhere: a restart
starts without it, and every item of a feed's next body is read, as it always was.
"""

from __future__ import annotations

import math
from array import array

from monitor.parse.known import MAX_ITEMS, KnownItems

# An item first seen within this much of the retention age is read again: retention may prune
# it any time now (on another node's clock, too), and then it is new again. A node whose
# retention is shorter than this one's by more than the margin may prune an item this memory
# still trusts: such an old item, still in its feed, is then not taken for new again (no new
# item is ever skipped for it).
RETENTION_MARGIN = 3600.0


class FeedMemory:
    """The last body of each feed, by the feed's id in the store."""

    def __init__(self) -> None:
        self._feeds: dict[int, KnownItems] = {}
        self._retention = math.inf

    def recall(self, feed_id: int) -> KnownItems | None:
        return self._feeds.get(feed_id)

    def cutoff(self, now: float, retention: float) -> float:
        """Items first seen before this may be gone from the store. The shortest retention
        this process has run with counts: a reload that lengthens it does not bring back
        what the shorter one pruned."""
        self._retention = min(self._retention, retention)
        return now - self._retention + RETENTION_MARGIN

    def keep(self, feed_id: int, known: KnownItems, *, add: bool = False) -> None:
        """Remember ``known`` for the feed: in place of what it had, or (``add``: a WebSub push,
        which may bring only its newest items) beside it."""
        old = self._feeds.get(feed_id)
        if add and old is not None and old.base == known.base:
            known = _together(known, old)
        self._feeds[feed_id] = known  # at most MAX_ITEMS: a larger body is not remembered

    def forget(self, feed_id: int) -> None:
        self._feeds.pop(feed_id, None)

    def clear(self) -> None:
        """Every feed read whole at its next poll: after the store failed, it may have lost
        what it had committed (a failover, a restore), and the memory trusts keys as stored."""
        self._feeds.clear()


def _together(new: KnownItems, old: KnownItems) -> KnownItems:
    have = set(new.hashes)
    keep = [i for i, h in enumerate(old.hashes) if h not in have]
    keep = keep[: max(0, MAX_ITEMS - len(new.hashes))]  # the oldest pushes go first
    return KnownItems(
        new.base,
        new.parsed_at,
        new.hashes + array("q", (old.hashes[i] for i in keep)),
        new.published + array("d", (old.published[i] for i in keep)),
        new.first_seen + array("d", (old.first_seen[i] for i in keep)),
    )
