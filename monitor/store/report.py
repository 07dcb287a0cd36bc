"""What the store holds, counted: for ``monitor status``, the metrics gauges, replay and the
health probe. Reads only."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from monitor.store.alerts import ALERT_COLUMNS, load_alert
from monitor.store.db import Db

# Table names cannot be bound as parameters; only these are ever put into the statement.
COUNTED = frozenset({"feeds", "items", "stories", "events", "matches", "alerts"})


async def answers(db: Db) -> None:
    """Raise if the store cannot run the smallest query (the liveness probe)."""
    await db.fetch_val("SELECT 1")


async def rows_in(db: Db, tables: Iterable[str]) -> dict[str, int]:
    """The number of rows in each of ``tables``."""
    out: dict[str, int] = {}
    for table in tables:
        if table not in COUNTED:
            raise ValueError(f"store: no such table to count: {table!r}")
        out[table] = int(await db.fetch_val(f"SELECT COUNT(*) FROM {table}") or 0)
    return out


async def counts(db: Db) -> dict[str, dict[str, int]]:
    """Alerts by channel, then by status."""
    out: dict[str, dict[str, int]] = {}
    for channel, status, count in await db.fetch_all(
        "SELECT channel, status, COUNT(*) FROM alerts GROUP BY channel, status"
    ):
        out.setdefault(channel, {})[status] = int(count)
    return out


async def sends(db: Db) -> dict[str, dict[str, int]]:
    """What each channel sent, as the reader got it, by channel: ``messages`` (each message
    or edit the reader got), of which ``alerts`` (an alert's first message, on its own),
    ``updates`` (each update since: a message of its own, or an edit of the first) and
    ``digests`` (one message each, of ``digested`` alerts in all). An alert's row counts once
    per time it went out; ``counts`` counts rows. A digest's alerts are recorded sent
    together (one ``mark_sent``, one time); an alert sent alone is the only one of its time."""
    out: dict[str, dict[str, int]] = {}
    for channel, update, size, count in await db.fetch_all(
        "SELECT channel, u, n, COUNT(*) FROM (SELECT a.channel AS channel,"
        " CASE WHEN a.kind = 'update' THEN 1 ELSE 0 END AS u, t.at AS at, COUNT(*) AS n"
        " FROM alert_attempts t JOIN alerts a ON a.id = t.alert_id WHERE t.outcome = 'sent'"
        " GROUP BY a.channel, CASE WHEN a.kind = 'update' THEN 1 ELSE 0 END, t.at) AS g"
        " GROUP BY channel, u, n"
    ):
        sent = out.setdefault(
            channel, {"messages": 0, "alerts": 0, "updates": 0, "digests": 0, "digested": 0}
        )
        size, count = int(size), int(count)
        if int(update):  # updates go out one by one, never in a digest
            sent["updates"] += size * count
            sent["messages"] += size * count
        elif size == 1:
            sent["alerts"] += count
            sent["messages"] += count
        else:
            sent["digests"] += count
            sent["digested"] += size * count
            sent["messages"] += count
    return out


async def oldest_pending(db: Db) -> float | None:
    """When the oldest alert still waiting to go out was created (UNIX seconds)."""
    oldest = await db.fetch_val("SELECT MIN(created_at) FROM alerts WHERE status = 'pending'")
    return float(oldest) if oldest is not None else None


async def given_up(db: Db, limit: int = 50) -> list[dict[str, Any]]:
    """The most recent failed or expired alerts, with their last error."""
    rows = await db.fetch_all(
        f"SELECT {ALERT_COLUMNS}, status, last_error FROM alerts"
        " WHERE status IN ('failed', 'expired') ORDER BY id DESC LIMIT ?",
        (limit,),
    )
    out = []
    for row in rows:
        alert = load_alert(row)
        out.append(
            {
                "id": alert.id,
                "channel": alert.channel,
                "kind": alert.kind,
                "title": alert.title,
                "rule": alert.rule,
                "status": row[8],
                "attempts": int(row[4]),
                "created_at": float(row[5]),
                "last_error": row[9],
            }
        )
    return out
