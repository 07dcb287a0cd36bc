"""How each feed is fed, for ``monitor status``: pushed by its hub, or polled, and how often.

The adaptive interval is computed as the daemon computes it after a restart: from the items
the feed stored in the last week (a running daemon may hold a fresher figure, from the last
body it parsed).
"""

from __future__ import annotations

from typing import Any

from monitor.config import Config, FeedConfig
from monitor.schedule import WEEK, adaptive_interval
from monitor.store import items as item_store
from monitor.store.db import Db
from monitor.store.feeds import FeedState


async def feeding(
    db: Db,
    config: Config,
    feed: FeedConfig,
    state: FeedState | None,
    *,
    pushed: bool,
    now: float,
) -> dict[str, Any]:
    """``schedule`` (push | fixed | adaptive) and ``poll_every`` (seconds) of one feed."""
    m = config.monitor
    usual = feed.interval or m.interval
    if pushed and config.websub is not None:  # polled only as a safety net
        return {"schedule": "push", "poll_every": max(usual, config.websub.poll_interval)}
    if m.schedule == "adaptive" and feed.interval is None and state is not None:
        pub = await item_store.publishing_since(db, state.id, now - WEEK)
        if pub is not None:  # a feed that dates none of its items keeps the fixed interval
            every = adaptive_interval(pub, now, low=m.min_interval, high=m.longest_interval)
            return {"schedule": "adaptive", "poll_every": every}
    return {"schedule": "fixed", "poll_every": usual}


def roughly(seconds: float) -> str:
    """A duration as a person says it: 45s, 1.5m, 6m, 1h, 2d."""
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("m", 60.0)):
        if seconds >= size:
            value = seconds / size
            return f"{value:.0f}{unit}" if value >= 10 else f"{value:.1f}".removesuffix(".0") + unit
    return f"{seconds:.0f}s"


def fed_by(feed: dict[str, Any]) -> str:
    """The FED BY column: "push (+poll 1h)", "poll every 10m", "adaptive every 4m"."""
    every = roughly(feed["poll_every"])
    if feed["schedule"] == "push":
        return f"push (+poll {every})"
    return f"{'adaptive' if feed['schedule'] == 'adaptive' else 'poll'} every {every}"
