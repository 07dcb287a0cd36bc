"""Deleting what retention no longer keeps, a batch at a time. Order matters: items first,
then the stories no item points at, then the events no story points at."""

from __future__ import annotations

from monitor.store.db import Db

# What is past ``cutoff``; an alert still pending is kept whatever its age, and so is the
# newest alert: SQLite gives a new row the highest id plus one (``INTEGER PRIMARY KEY``), so
# with it kept an id, a webhook's message id, is never handed out twice.
_DELETES = {
    # An item dated ahead of its first sight is kept until its date is past too: pruned
    # and still listed, it would be news again (max_age judges it by its date).
    "items": "DELETE FROM items WHERE id IN (SELECT id FROM items WHERE first_seen < ?"
    " AND COALESCE(published, 0) < ? LIMIT ?)",
    "stories": "DELETE FROM stories WHERE id IN (SELECT s.id FROM stories s WHERE s.last_seen < ?"
    " AND NOT EXISTS (SELECT 1 FROM items i WHERE i.story_id = s.id) LIMIT ?)",
    "events": "DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE e.last_seen < ?"
    " AND NOT EXISTS (SELECT 1 FROM stories s WHERE s.event_id = e.id) LIMIT ?)",
    "alerts": "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts WHERE created_at < ?"
    " AND status != 'pending' AND id < (SELECT MAX(id) FROM alerts) LIMIT ?)",
}
PRUNED = tuple(_DELETES)


async def delete_older(db: Db, table: str, cutoff: float, batch: int) -> int:
    """Delete up to ``batch`` rows of ``table`` (one of ``PRUNED``) older than ``cutoff``."""
    args = (cutoff, cutoff, batch) if table == "items" else (cutoff, batch)
    return await db.execute(_DELETES[table], args)
