"""The outlets of a story or an event, kept as the poll's items join: one row per (story or
event, outlet by name: ``StoredItem.outlet``), its first item's (``story_outlets``,
``event_outlets``)."""

from __future__ import annotations

from collections.abc import Iterable

from monitor.models import StoredItem
from monitor.store.batch import Rows

OutletRow = tuple[int, int, str, float, int]  # (story or event, feed, name, first seen, item)


def outlet_rows(table: str, key: str) -> Rows:
    """The batch insert of ``table``, whose rows are ``OutletRow`` keyed by ``key``."""
    return Rows(
        table,
        f"{key} bigint, feed_id bigint, name text, first_seen float8, item_id bigint",
        # The row there is an earlier item's (ids only grow): it stays the outlet's first.
        tail=f"ON CONFLICT ({key}, name) DO NOTHING",
    )


def first_per_outlet(items: Iterable[tuple[int, StoredItem]]) -> list[OutletRow]:
    """The first item of each (story or event, outlet) of ``items``, in their order."""
    rows: dict[tuple[int, str], OutletRow] = {}
    for owner, stored in items:
        name = stored.outlet
        if (owner, name) not in rows:
            first_seen = stored.item.first_seen.timestamp()
            rows[owner, name] = (owner, stored.feed_id, name, first_seen, stored.id)
    return list(rows.values())
