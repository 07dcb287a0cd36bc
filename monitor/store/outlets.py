"""The outlets of a story or an event, kept as the poll's items join: one row per (story or
event, outlet by name: ``StoredItem.outlet``), its first item's (``story_outlets``,
``event_outlets``). A feed's own outlet (its items without ``<source>``) is one row per
(story or event, feed) too, whatever the feed is called now: a row's ``feed_id`` is the
feed's there, NULL for an outlet an aggregator names (a unique index on (owner, feed_id)
where it is not NULL, m021), so a renamed feed is not a second outlet (review20a D2)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from monitor.models import StoredItem
from monitor.store.batch import Rows

# (story or event, feed: None for an aggregator's <source>, name, first seen, item)
OutletRow = tuple[int, int | None, str, float, int]
# Of each story or event, the name of each feed's own outlet there (owner -> feed -> name).
OwnNames = dict[int, dict[int, str]]


def outlet_rows(table: str, key: str) -> Rows:
    """The batch insert of ``table``, whose rows are ``OutletRow`` keyed by ``key``."""
    return Rows(
        table,
        f"{key} bigint, feed_id bigint, name text, first_seen float8, item_id bigint",
        # The row there is an earlier item's (ids only grow): it stays the outlet's first.
        # No conflict target: a row of the feed's own outlet there (another name) is one too.
        tail="ON CONFLICT DO NOTHING",
    )


def first_per_outlet(items: Iterable[tuple[int, StoredItem]]) -> list[OutletRow]:
    """The first item of each (story or event, outlet) of ``items``, in their order."""
    rows: dict[tuple[int, str], OutletRow] = {}
    for owner, stored in items:
        name = stored.outlet
        if (owner, name) not in rows:
            first_seen = stored.item.first_seen.timestamp()
            feed = None if stored.item.source else stored.feed_id
            rows[owner, name] = (owner, feed, name, first_seen, stored.id)
    return list(rows.values())


def as_known(owner: int, stored: StoredItem, own: OwnNames) -> StoredItem:
    """``stored`` as ``owner`` counts it: without ``<source>``, its feed's own outlet there,
    under the name that outlet came by (``own``, which learns it from the first). A renamed
    feed's item gets the name it had there (``StoredItem.known_as``)."""
    if stored.item.source:
        return stored
    name = own.setdefault(owner, {}).setdefault(stored.feed_id, stored.feed_name)
    return stored if name == stored.feed_name else replace(stored, known_as=name)
