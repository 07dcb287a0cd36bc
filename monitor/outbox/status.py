"""outbox.status: what ``monitor status`` says of the outbox."""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from typing import Any

from monitor.store import alerts as rows
from monitor.store import report
from monitor.store.db import Db


async def orphaned(db: Db, channels: Collection[str]) -> dict[str, int]:
    """Pending alerts of channels that are no longer configured: kept, not delivered."""
    counts = await report.counts(db)
    return {
        name: by_status[rows.PENDING]
        for name, by_status in sorted(counts.items())
        if name not in channels and by_status.get(rows.PENDING)
    }


def orphaned_message(channel: str, count: int) -> str:
    return (
        f"{count} alert(s) wait for channel {channel!r}, which is no longer in the config: "
        "they are kept, and sent if a channel of that name comes back"
    )


async def outbox_status(db: Db, channels: Collection[str] | None = None) -> dict[str, Any]:
    """For ``monitor status``: alerts by channel and status, those given up with why, and
    (given the configured ``channels``) the pending alerts no configured channel delivers."""
    counts = await report.counts(db)
    pending = sum(c.get(rows.PENDING, 0) for c in counts.values())
    oldest = await report.oldest_pending(db)
    return {
        "pending": pending,
        # Held back by the alert-storm guard, each counted in a summary alert that was sent.
        "folded": sum(c.get(rows.FOLDED, 0) for c in counts.values()),
        "oldest_pending_age": round(time.time() - oldest, 1) if oldest else None,
        "by_channel": counts,
        "failed": await report.given_up(db),
        # Pending, waiting for a channel's config to be fixed: {channel: {count, error}}.
        "held": {c: {"count": n, "error": e} for c, (n, e) in (await rows.held(db)).items()},
        "orphaned": {} if channels is None else await orphaned(db, channels),
    }


def render_status(report: Mapping[str, Any]) -> list[str]:
    """``outbox_status`` as lines for ``monitor status``: depth per channel, then each alert
    given up with its error."""
    lines = [f"Outbox: {report['pending']} pending"]
    if report.get("folded"):
        lines[0] += f", {report['folded']:,} folded into alert-storm summaries"
    for channel, by_status in sorted(report["by_channel"].items()):
        counts = ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
        lines.append(f"  {channel}: {counts}")
    for channel, count in report.get("orphaned", {}).items():
        lines.append(f"  WARNING {orphaned_message(channel, count)}")
    for channel, held in report.get("held", {}).items():
        lines.append(
            f"  HELD {channel}: {held['count']} alert(s) wait until the config is fixed "
            f"(then reload; a secret read from the environment needs a restart): {held['error']}"
        )
    for failed in report["failed"]:
        lines.append(
            f"  {failed['status'].upper()} #{failed['id']} {failed['channel']} "
            f"({failed['kind']}, {failed['attempts']} attempts) {failed['title'][:60]!r}: "
            f"{failed['last_error']}"
        )
    return lines
