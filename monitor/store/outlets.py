"""The outlets of a story or an event, kept as the poll's items join: one row per (story or
event, outlet), its first item's (``story_outlets``, ``event_outlets``). An outlet is its web
site where one is known (``site``: the registrable domain of an aggregator's
``<source url>`` or of the feed's own <link>), else its ``<source>`` when an aggregator
names one, else its feed (``StoredItem.outlet_key``). A row's ``site`` is unique per owner
(m022); without one, its ``feed_id`` is the feed's for its own outlet (unique per owner
whatever the feed is called: a renamed feed is one outlet), NULL for a ``<source>``, unique
per owner by name (m021, m022: a unique index on (owner, feed_id), a partial one on (owner,
name) where feed_id and site are NULL). A feed's own outlet and a ``<source>`` of its name
without an address are two (review20d D4: one row hid the other, and the feed renamed later
counted twice)."""

from __future__ import annotations

from collections.abc import Iterable

from monitor.models import StoredItem, outlet_key
from monitor.store.batch import Rows

# (story or event, feed: None for a site or an aggregator's <source>, name, first seen, item,
# site: None where not known)
OutletRow = tuple[int, int | None, str, float, int, str | None]


def outlet_rows(table: str, key: str) -> Rows:
    """The batch insert of ``table``, whose rows are ``OutletRow`` keyed by ``key``."""
    return Rows(
        table,
        f"{key} bigint, feed_id bigint, name text, first_seen float8, item_id bigint, site text",
        # The row there is an earlier item's (ids only grow): it stays the outlet's first.
        # No conflict target: either unique index (a feed's, a <source>'s) may hold it.
        tail="ON CONFLICT DO NOTHING",
    )


def row_key(feed_id: int | None, name: str, site: str | None) -> str:
    """The outlet's identity (``StoredItem.outlet_key``) of a stored row."""
    return outlet_key(feed_id, None if feed_id is not None else name, site)


def first_per_outlet(items: Iterable[tuple[int, StoredItem]]) -> list[OutletRow]:
    """The first item of each (story or event, outlet) of ``items``, in their order."""
    rows: dict[tuple[int, str], OutletRow] = {}
    for owner, stored in items:
        key = stored.outlet_key
        if (owner, key) not in rows:
            first_seen = stored.item.first_seen.timestamp()
            site = stored.item.site or None
            feed = None if stored.item.source or site else stored.feed_id
            rows[owner, key] = (owner, feed, stored.outlet, first_seen, stored.id, site)
    return list(rows.values())
