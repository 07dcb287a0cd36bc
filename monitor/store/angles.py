"""The newest headlines of an event: what an update of its alert lists as new since the last
message (``outbox.grow``). Read only when an update is queued, once per grown event."""

from __future__ import annotations

from monitor.store.db import Db


async def newest_headlines(db: Db, event_id: int, limit: int) -> list[tuple[int, str]]:
    """The event's ``limit`` newest stories and their headlines, the newest first (by story:
    the order they reached the monitor, as ``stories.id`` grows)."""
    rows = await db.fetch_all(
        "SELECT id, title FROM stories WHERE event_id = ? ORDER BY id DESC LIMIT ?",
        (event_id, limit),
    )
    return [(int(row[0]), str(row[1])) for row in rows]
