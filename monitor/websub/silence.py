"""When a hub has gone silent: pure decisions over a subscription's record, no I/O.

A hub can stop pushing without a word (FreshRSS and lion-reader both met it). The safety-net
polls tell: a poll that finds new items means no push brought them. One such poll may just
have beaten the push; ``MISSES`` of them in a row, each after no push for ``GAPS`` of the
feed's usual gaps between new items, mean the hub is not pushing.
"""

from __future__ import annotations

from monitor.configtypes import format_duration
from monitor.store.websub import Subscription

GAPS = 3.0  # no push for this many usual gaps ...
MISSES = 2  # ... seen by this many polls in a row that found new items
SMOOTHING = 0.3  # weight of the latest gap in the running estimate


def note_new_items(sub: Subscription, now: float) -> None:
    """New items arrived (by push or by poll): update the feed's usual gap."""
    if sub.last_new is not None and now > sub.last_new:
        gap = now - sub.last_new
        sub.gap = gap if sub.gap is None else (1 - SMOOTHING) * sub.gap + SMOOTHING * gap
    sub.last_new = now


def poll_found_new(sub: Subscription, now: float, new_items: int, fallback: float) -> bool:
    """A safety-net poll of a pushed feed found ``new_items``; True when the feed must fall
    back to polling (``sub.reason`` then says why). ``fallback``: the gap to assume while the
    feed's own is not known yet (its safety-net interval)."""
    usual = sub.gap or fallback
    note_new_items(sub, now)
    quiet_since = sub.last_push or sub.verified_at or now
    silent_for = now - quiet_since
    if silent_for <= GAPS * usual:
        return False
    sub.misses += 1
    if sub.misses < MISSES:
        return False
    sub.reason = (
        f"the hub sent nothing for {_span(silent_for)} while {sub.misses} polls in a row found"
        f" new items (usual gap {_span(usual)}); polled as usual again"
    )
    return True


def _span(seconds: float) -> str:
    return format_duration(float(round(seconds))) if seconds >= 1 else f"{seconds:.1f}s"


def renew_at(sub: Subscription) -> float | None:
    """When to renew: a tenth of the lease before it ends, at least half of it or an hour."""
    if sub.lease_end is None or sub.verified_at is None:
        return None
    lease = max(sub.lease_end - sub.verified_at, 0.0)
    return sub.lease_end - max(0.1 * lease, min(0.5 * lease, 3600.0))
