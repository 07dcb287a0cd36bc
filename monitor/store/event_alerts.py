"""Which channels hold a "new" alert of an event already, whatever rule raised it: a second
rule that matches the event adds no message of its own (``outbox.per_event``)."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.store.db import Db


async def alerted(db: Db, places: Sequence[tuple[str, int]]) -> set[tuple[str, int]]:
    """The ``(channel, event id)`` of ``places`` whose channel holds a "new" alert of the
    event (pending or sent), of any rule. Its key is ``event:<id>:<rule>``
    (``outbox.keys.event_key``): a range on the ``(channel, dedup_key)`` index, not a scan."""
    found: set[tuple[str, int]] = set()
    for channel, event_id in places:
        prefix = f"event:{event_id}:"
        row = await db.fetch_one(
            "SELECT 1 FROM alerts WHERE channel = ? AND dedup_key >= ? AND dedup_key < ?"
            " AND kind = 'new' AND status IN ('pending', 'sent') LIMIT 1",
            (channel, prefix, prefix[:-1] + ";"),  # ";" sorts right after ":"
        )
        if row is not None:
            found.add((channel, event_id))
    return found
