"""What the store holds, counted: for ``monitor status``, the metrics gauges, replay and the
health probe. Reads only."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import aiosqlite

from monitor.store.outbox import ALERT_COLUMNS, load_alert

# Table names cannot be bound as parameters; only these are ever put into the statement.
COUNTED = frozenset({"feeds", "items", "stories", "events", "matches", "alerts"})


async def answers(db: aiosqlite.Connection) -> None:
    """Raise if the store cannot run the smallest query (the liveness probe)."""
    async with db.execute("SELECT 1") as cur:
        await cur.fetchone()


async def rows_in(db: aiosqlite.Connection, tables: Iterable[str]) -> dict[str, int]:
    """The number of rows in each of ``tables``."""
    out: dict[str, int] = {}
    for table in tables:
        if table not in COUNTED:
            raise ValueError(f"store: no such table to count: {table!r}")
        async with db.execute(f"SELECT COUNT(*) FROM {table}") as cur:
            row = await cur.fetchone()
        out[table] = int(row[0]) if row else 0
    return out


async def counts(db: aiosqlite.Connection) -> dict[str, dict[str, int]]:
    """Alerts by channel, then by status."""
    out: dict[str, dict[str, int]] = {}
    async with db.execute(
        "SELECT channel, status, COUNT(*) FROM alerts GROUP BY channel, status"
    ) as cur:
        for channel, status, count in await cur.fetchall():
            out.setdefault(channel, {})[status] = int(count)
    return out


async def oldest_pending(db: aiosqlite.Connection) -> float | None:
    """When the oldest alert still waiting to go out was created (UNIX seconds)."""
    async with db.execute("SELECT MIN(created_at) FROM alerts WHERE status = 'pending'") as cur:
        row = await cur.fetchone()
    return float(row[0]) if row and row[0] is not None else None


async def given_up(db: aiosqlite.Connection, limit: int = 50) -> list[dict[str, Any]]:
    """The most recent failed or expired alerts, with their last error."""
    async with db.execute(
        f"SELECT {ALERT_COLUMNS}, status, last_error FROM alerts"
        " WHERE status IN ('failed', 'expired') ORDER BY id DESC LIMIT ?",
        (limit,),
    ) as cur:
        rows = await cur.fetchall()
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
