"""A poll's new items, taken in slices that leave the event loop and the writer free, and capped.

A feed of 100,000 items is a legitimate body (under the size cap): stored in one go, its
rows, stories and rule matches were built in single stretches of Python that held the event
loop for minutes (no /healthz, no watchdog, no other feed). Here every stretch is a slice,
and between slices the loop runs. The cap (``[monitor] max_new_items``) keeps the newest new
items for stories, rules and alerts; the older ones are stored all the same, as seen (no
story), so that a later poll never takes them for news.

The older ones are written first, a slice per transaction, so other feeds' polls write in
between; the kept ones then go in the poll's own transaction with their stories, alerts and
the feed's state. A crash in between leaves only old items marked as seen: the next poll
finds the same newest ones new and does the poll again.

An item published more than ``[monitor] max_age`` before the poll that first finds it is old
news (a new feed's archive; an item retention pruned that the feed lists again): stored as
seen in the poll's transaction, as the older ones of the cap are, with no story, rule match
or alert. An undated item is not judged by it, and one whose date moved looks new to it: so
retention keeps what its feed still lists (``listed_since``), and neither is news again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from collections.abc import Set as AbstractSet

from monitor.models import Item, StoredItem
from monitor.store import Store
from monitor.store import items as item_store
from monitor.store.db import Db

# Items per slice: each slice of the insert, or of the stages after store, is a few
# milliseconds of Python; small enough for the loop, large enough that the round trips
# to the database thread stay a small part of the work.
INSERT_SLICE = 2000
STAGES_SLICE = 100

# A changed body's items have their time of last listing (``items.last_listed``) rewritten
# only once it is older than this part of retention: a poll writes the few evergreen items
# due, each about once a period, not every row it lists. The feed's memory trusts an item
# no longer than that, so every item of a body is listed since ``listed_since``.
LISTED_EVERY = 0.25


def listed_since(now: float, retention: float) -> float:
    """The time since which a body read ``now`` has listed each of its items once the poll
    is stored (``store.items.listed`` brings those listed before it up to ``now``)."""
    return now - retention * LISTED_EVERY


ProcessItems = Callable[[Db, Sequence[StoredItem], float], Awaitable[None]]


def newest_first(entries: Sequence[Item]) -> list[int]:
    """Indexes of ``entries`` newest first by publication date (undated ones count as
    oldest; between equals, the feed's own order), one per key (the last, as stored).

    Runs in the parse thread with the parse: sorting 100,000 items is work for a thread,
    not for the event loop.
    """
    last = {item.key: i for i, item in enumerate(entries)}

    def age(i: int) -> tuple[float, int]:
        published = entries[i].published
        return (published.timestamp() if published else float("-inf"), -i)

    return sorted(last.values(), key=age, reverse=True)


async def set_aside_older(
    store: Store, feed_id: int, entries: Sequence[Item], order: Sequence[int], limit: int
) -> tuple[list[Item], int]:
    """When more than ``limit`` entries are new, store all but the ``limit`` newest as seen.

    ``order`` is ``newest_first(entries)``. Returns the entries left for the poll's own
    transaction (in the feed's order) and how many were set aside.
    """
    new: list[int] = []
    for start in range(0, len(order), INSERT_SLICE):
        part = order[start : start + INSERT_SLICE]
        known = await item_store.known_keys(store.db, feed_id, [entries[i].key for i in part])
        new += [i for i in part if entries[i].key not in known]
    cut = 0
    for start in range(limit, len(new), INSERT_SLICE):
        older = [entries[i] for i in new[start : start + INSERT_SLICE]]
        async with store.transaction() as db:
            cut += len(await item_store.insert_new(db, feed_id, older))
    return [entries[i] for i in sorted(new[:limit])], cut


def news_only(stored: Sequence[StoredItem], oldest: float) -> tuple[list[StoredItem], int]:
    """The stored items that are news (published at ``oldest`` or later, or undated), and
    how many were published before ``oldest``: old news, stored as seen."""
    news = [s for s in stored if s.item.published is None or s.item.published.timestamp() >= oldest]
    return news, len(stored) - len(news)


async def insert_new(
    db: Db, feed_id: int, entries: Sequence[Item], untimed: AbstractSet[str] = frozenset()
) -> list[tuple[int, Item]]:
    """``store.items.insert_new``, a slice at a time, inside the caller's transaction."""
    inserted: list[tuple[int, Item]] = []
    for start in range(0, len(entries), INSERT_SLICE):
        # Each slice asks which keys the feed has after the slices before it were inserted:
        # a key repeated across slices is stored once, as in one call.
        part = entries[start : start + INSERT_SLICE]
        inserted += await item_store.insert_new(db, feed_id, part, untimed)
        if start + INSERT_SLICE < len(entries):  # the loop's turn before the next slice
            await asyncio.sleep(0)
    return inserted


async def run_stages(
    process: ProcessItems, db: Db, stored: Sequence[StoredItem], now: float
) -> None:
    """The stages after store (stories, rules, outbox), a slice of items at a time."""
    for start in range(0, len(stored), STAGES_SLICE):
        await process(db, stored[start : start + STAGES_SLICE], now)
        if start + STAGES_SLICE < len(stored):  # the loop's turn before the next slice
            await asyncio.sleep(0)
