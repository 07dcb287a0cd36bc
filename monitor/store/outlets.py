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

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet

from monitor.models import StoredItem, outlet_key
from monitor.store.batch import Rows, in_lists
from monitor.store.db import Db

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


_NONE: Mapping[int, AbstractSet[str]] = {}


def row_key(feed_id: int | None, name: str, site: str | None) -> str:
    """The outlet's identity (``StoredItem.outlet_key``) of a stored row."""
    return outlet_key(feed_id, None if feed_id is not None else name, site)


def first_per_outlet(
    items: Iterable[tuple[int, StoredItem]], known: Mapping[int, AbstractSet[str]] = _NONE
) -> list[OutletRow]:
    """The first item of each (story or event, outlet) of ``items``, in their order; none of
    an outlet ``known`` gives its owner already (by identity, ``row_key``)."""
    rows: dict[tuple[int, str], OutletRow] = {}
    for owner, stored in items:
        key = stored.outlet_key
        if (owner, key) not in rows and key not in known.get(owner, ()):
            first_seen = stored.item.first_seen.timestamp()
            site = stored.item.site or None
            feed = None if stored.item.source or site else stored.feed_id
            rows[owner, key] = (owner, feed, stored.outlet, first_seen, stored.id, site)
    return list(rows.values())


# The stories and events a feed's items are in (one parameter: the feed).
_STORIES_OF_FEED = "SELECT story_id FROM items WHERE feed_id = ? AND story_id IS NOT NULL"
_EVENTS_OF_FEED = (
    "SELECT s.event_id FROM items i JOIN stories s ON s.id = i.story_id"
    " WHERE i.feed_id = ? AND s.event_id IS NOT NULL"
)


async def name_site(db: Db, feed_id: int, site: str) -> None:
    """The feed's link names its site for the first time (``FeedState.site`` was None): its
    own items stored before (site NULL, no <source>) become that site's, and so do the story
    and event outlet rows that counted them by feed, in the poll's transaction, so that the
    feed is one outlet before and after (review21f D-A). Where a story or an event already has
    a row of the site, the two are one outlet: the later of them goes (a row is its outlet's
    first item's, as ``event_outlets.recount`` counts it from the items). A feed that moves
    from one site to another is not called: its earlier items stay the first site's."""
    await db.execute(
        "UPDATE items SET site = ? WHERE feed_id = ? AND site IS NULL AND source IS NULL",
        (site, feed_id),
    )
    for table, owner, owners in (("story_outlets", "story_id", _STORIES_OF_FEED),
                                 ("event_outlets", "event_id", _EVENTS_OF_FEED)):  # fmt: skip
        # Only the owners of the feed's items are read (through the items' feed index and
        # the tables' owner indexes): no index of these tables starts with the feed, and
        # after the upgrade to m022 each feed's first poll comes here once.
        mine = f" AND {owner} IN ({owners})"
        # The site's row of an owner whose feed row came first, then the feed's row of an
        # owner that keeps the site's: the unique (owner, site) index holds one row.
        merged = await db.fetch_all(
            f"DELETE FROM {table} WHERE site = ?{mine} AND EXISTS (SELECT 1 FROM {table} o"
            f" WHERE o.{owner} = {table}.{owner} AND o.feed_id = ? AND o.site IS NULL"
            f" AND o.item_id < {table}.item_id) RETURNING {owner}",
            (site, feed_id, feed_id),
        )
        merged += await db.fetch_all(
            f"DELETE FROM {table} WHERE feed_id = ? AND site IS NULL{mine} AND EXISTS"
            f" (SELECT 1 FROM {table} o WHERE o.{owner} = {table}.{owner} AND o.site = ?)"
            f" RETURNING {owner}",
            (feed_id, feed_id, site),
        )
        await db.execute(
            f"UPDATE {table} SET feed_id = NULL, site = ? WHERE feed_id = ? AND site IS NULL{mine}",
            (site, feed_id, feed_id),
        )
        if table == "story_outlets":
            # A story's count of outlets (``stories.outlets``) is its rows', one fewer where
            # two merged (whichever of them went).
            for marks, params in in_lists(sorted({int(r[0]) for r in merged})):
                await db.execute(
                    "UPDATE stories SET outlets = (SELECT COUNT(*) FROM story_outlets o"
                    f" WHERE o.story_id = stories.id) WHERE id IN ({marks})",
                    params,
                )
