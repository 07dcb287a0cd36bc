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

The decision is made once for a poll, over all its new items, before they are stored, and
kept with each item (``items.untimed``, m020): a rebuild of the window (a restart, a poll
failing past its parse, an assigner's election) and a cluster's assigner read it back, as
one process that never restarted (review19a: decided again per slice of a hundred items, a
stamped feed's last item, alone in its slice, looked dated, and an aggregator's tail cut
off by the assigner's slice looked stamped). Items stored before m020 are taken at their
time: which poll was a feed's first is not known of them.
"""

from __future__ import annotations

from collections.abc import Sequence

# Items of one feed's poll, all dated alike, at or past which the date is the feed's stamp.
SAME_DATED = 3


def untimed(published: Sequence[float | None]) -> list[bool]:
    """For each new item of a feed's first poll (its own date, or None): whether the time it
    is assigned at says nothing of when its news happened (undated, or dated as all the
    poll's dated items are, at least ``SAME_DATED`` of them: the feed's stamp)."""
    dates = {date for date in published if date is not None}
    dated = sum(date is not None for date in published)
    stamped = len(dates) == 1 and dated >= SAME_DATED
    return [date is None or stamped for date in published]
