"""What ``monitor status`` says of WebSub: how each feed is fed, its pushes, the refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from monitor.store import websub as ws_store
from monitor.store.db import Db


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds") if ts else None


FeedRows = dict[str, dict[str, Any]]


async def websub_status(db: Db) -> tuple[FeedRows, dict[str, int]]:
    """Per feed URL: ``fed_by`` (push | poll), the subscription's state, hub, pushes, last
    push, lease end and why it is polled; and the refused pushes by reason."""
    feeds = {}
    for sub in await ws_store.all_subscriptions(db):
        feeds[sub.feed_url] = {
            "fed_by": "push" if sub.state == "live" else "poll",
            "websub": sub.state,
            "hub": sub.hub,
            "pushes": sub.pushes,
            "last_push": _iso(sub.last_push),
            "lease_end": _iso(sub.lease_end),
            "websub_reason": sub.reason or sub.last_error,
        }
    return feeds, await ws_store.refusals(db)


POLLED = {"fed_by": "poll", "websub": None, "pushes": 0, "last_push": None}


def render_websub(feeds: list[dict[str, Any]], refused: dict[str, int]) -> list[str]:
    """The lines of ``monitor status`` about WebSub (none when no feed ever had a hub)."""
    subscribed = [f for f in feeds if f.get("websub")]
    if not subscribed and not refused:
        return []
    pushed = [f for f in subscribed if f["fed_by"] == "push"]
    lines = [f"WebSub: {len(pushed)} of {len(feeds)} feeds pushed"]
    for f in sorted(subscribed, key=lambda f: f["name"].lower()):
        last = f"last push {f['last_push']}" if f["last_push"] else "no push yet"
        why = f": {f['websub_reason']}" if f.get("websub_reason") else ""
        lines.append(
            f"  {f['name'][:40]}: {f['fed_by']} ({f['websub']}), {f['pushes']} pushes, {last}{why}"
        )
    if refused:
        counts = ", ".join(f"{reason} {n}" for reason, n in sorted(refused.items()))
        lines.append(f"  refused: {counts}")
    return lines
