"""Deleting what retention no longer keeps, a batch at a time. Order matters: items first,
then the stories no item points at, then the events no story points at."""

from __future__ import annotations

from monitor.store.db import Db

# What is past ``cutoff``; an alert still pending is kept whatever its age, and so is the
# newest alert: SQLite gives a new row the highest id plus one (``INTEGER PRIMARY KEY``), so
# with it kept an id, a webhook's message id, is never handed out twice.
_DELETES = {
    # Pruned and still listed, an item would be news again: an undated one, or one whose
    # date moved (max_age judges an item by its date). So an item is kept until its date is
    # past too, and until its feed last listed it (``last_listed``) before the cutoff; and
    # while its feed's last body listed it (``listed_since``: every item of it was listed
    # since then), a body a 304 may keep for longer than retention.
    "items": "DELETE FROM items WHERE id IN (SELECT i.id FROM items i JOIN feeds f"
    " ON f.id = i.feed_id WHERE i.first_seen < ? AND COALESCE(i.published, 0) < ?"
    " AND COALESCE(i.last_listed, i.first_seen) < ? AND (f.listed_since IS NULL"
    " OR COALESCE(i.last_listed, i.first_seen) < f.listed_since) LIMIT ?)",
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
    args = (cutoff, cutoff, cutoff, batch) if table == "items" else (cutoff, batch)
    return await db.execute(_DELETES[table], args)
