"""Whether an item's time says when its news happened, to within ``[events] recent``.

The event index joins a story to an event with an item within ``recent`` of it on weaker
evidence (``recent_threshold``): coverage of a happening comes in bursts. An item is placed
at its own date, else at when monitor first saw it, and that second stand-in does not hold
on a feed's first poll (a new feed, a cold start): every undated item of it is "first seen"
at the same moment, whether its outlet published it an hour or a week before ("Bolsonaro
meets Putin in Moscow", undated, and "Putin invites Zelensky to Moscow", dated a year ahead,
so read as undated: one moment, two happenings). The same holds for a first poll's items
when they all carry one date (a feed that stamps every item with its build time). Such an
item is joined, and joins, only on the full ``threshold``.

A later poll's items are taken at their time however long the feed went unread: a feed read
hourly or less often (its interval, a ``<ttl>``, a Cache-Control max-age) finds what was
published since, and an undated copy of a happening found 65 minutes after the last poll
must still fold (review18b); so must a crawl of three copies an aggregator dated in one
second. Items that share a date and not all of the poll's are taken at their date too
(UCI: 98% of its headlines share their second with two others or more).

The mark is kept with the item (``items.first_poll``, m020): a rebuild of the window (a
restart, a poll failing past its parse, an assigner's election) takes each feed's first
poll's items through ``timed`` again (``store.events.rebuild_index``), and a cluster's
assigner reads it with the queued items (``store.cluster_queue.take``): as one process that
never restarted. Items stored before m020 are marked when first seen at their feed's
earliest first sight, if retention has deleted none of the feed's items.
"""

from __future__ import annotations

from collections.abc import Sequence

# Items of one feed's poll, all dated alike, at or past which the date is the feed's stamp.
SAME_DATED = 3


def timed(items: Sequence[tuple[int, float | None, bool]]) -> list[bool]:
    """For each of a poll's new items (its feed, its own date or None, and whether it was
    found on its feed's first poll, ``StoredItem.first_poll``): whether the time it is
    assigned at is when its news happened to within ``recent``."""
    late = [first for _, _, first in items]
    if not any(late):
        return [True] * len(items)
    dates: dict[int, set[float]] = {}  # feed -> the dates of its first poll's items
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
