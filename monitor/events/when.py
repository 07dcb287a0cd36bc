"""Whether an item's time says when its news happened, to within ``[events] recent``.

The event index joins a story to an event with an item within ``recent`` of it on weaker
evidence (``recent_threshold``): coverage of a happening comes in bursts. An item is placed
at its own date, else at when monitor first saw it, and that second stand-in holds only for
a feed read often: on a feed's first poll (a new feed, a cold start) or after it went unread
for longer than ``recent``, every undated item is "first seen" at the same moment, whether
its outlet published it an hour or a week before ("Bolsonaro meets Putin in Moscow", undated,
and "Putin invites Zelensky to Moscow", dated a year ahead, so read as undated: one moment,
two happenings). The same holds for such a poll's items when they all carry one date (a feed
that stamps every item with its build time). Such an item is joined, and joins, only on the
full ``threshold``.

Items that share a date and not all of the poll's are taken at their date: an aggregator
stamps what it found in one crawl with one time (UCI: 98% of its headlines share their second
with two others or more), and they were published close together.
"""

from __future__ import annotations

from collections.abc import Sequence

# Items of one feed's poll, all dated alike, at or past which the date is the feed's stamp.
SAME_DATED = 3


def timed(items: Sequence[tuple[int, float | None, float]], recent: float) -> list[bool]:
    """For each of a poll's new items (its feed, its own date or None, and how long its
    feed had gone unread, ``StoredItem.unseen_for``): whether the time it is assigned at is
    when its news happened to within ``recent``."""
    late = [unseen_for >= recent for _, _, unseen_for in items]
    if not any(late):
        return [True] * len(items)
    dates: dict[int, set[float]] = {}  # feed -> the dates of its items found late
    counts: dict[int, int] = {}
    for (feed, published, _), found_late in zip(items, late, strict=True):
        if found_late and published is not None:
            dates.setdefault(feed, set()).add(published)
            counts[feed] = counts.get(feed, 0) + 1
    stamped = {
        feed for feed, seen in dates.items() if len(seen) == 1 and counts[feed] >= SAME_DATED
    }
    return [
        not found_late or (published is not None and feed not in stamped)
        for (feed, published, _), found_late in zip(items, late, strict=True)
    ]
