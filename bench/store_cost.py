"""Store cost per item and round trips per poll, SQLite against PostgreSQL, in the same run.

The UCI News Aggregator slice (6,366 real headlines from 1,948 publishers over 36 hours) is
cut into polls as the daemon would see them: one feed per publisher, a poll per publisher and
10-minute slot with the items published in it. Each poll runs the store's side of a poll with
new items, in one transaction, as ``Stages.process`` does: the new items (``insert_new``), their
stories and events (decided by the real indexes, written by ``record``), the feed's state.
Then every feed answers 304 once: the states written in batches (``StateWrites``).

Figures: items stored per second (wall, the stories and events decided in memory included),
the part of it spent in the store (waiting for the database and its driver), CPU per item (this process: the driver and our
code; the server's CPU is not in it), round trips per poll with new items and per 304 poll
(every statement sent, BEGIN and COMMIT included; a 304 poll's from the batch it is written
in). PostgreSQL is a throwaway local cluster over loopback (tests/pgserver.py: Debian's
binaries, fsync off, as the tests run it), or ``--pg URL`` of an empty database.

    flock /tmp/bench.lock python bench/store_cost.py [--rounds 3] [--pg URL]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH.parent / "tests"))

from monitor import assign
from monitor.dedup.config import DedupConfig
from monitor.dedup.index import StoryIndex
from monitor.events import EventConfig, EventIndex
from monitor.models import Item, StoredItem
from monitor.store import Store
from monitor.store import events as event_store
from monitor.store import feeds as feed_store
from monitor.store import items as item_store
from monitor.store import stories as story_store
from monitor.store.feeds import StateWrites

UCI = BENCH.parent.parent / "shared" / "data" / "uci-news-2014-03"
SLOT = 600.0


class Counting:
    """A ``Db`` that counts the statements sent through it (each one a round trip)."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.dialect = db.dialect
        self.trips = 0
        self.wall = 0.0  # seconds spent waiting for the database (and in its driver)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.db, name)

        async def counted(*args: Any, **kwargs: Any) -> Any:
            # PostgreSQL hands ids out of a block it refills now and then: those refills are
            # its trips (counted from the store's IdBlocks), not each call.
            self.trips += not (name == "reserve_ids" and self.dialect == "postgresql")
            started = time.perf_counter()
            try:
                return await method(*args, **kwargs)
            finally:
                self.wall += time.perf_counter() - started

        return counted


def load_polls() -> tuple[list[str], list[tuple[str, list[Item]]]]:
    path = next(UCI.glob("*.csv"))
    by_poll: dict[tuple[str, int], list[Item]] = defaultdict(list)
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            ts = int(row["TIMESTAMP"]) / 1000
            when = datetime.fromtimestamp(ts, UTC)
            feed = f"https://{row['HOSTNAME']}/rss"
            item = Item(key=row["URL"], title=row["TITLE"], summary="", url=row["URL"],
                        canonical_url=row["URL"], guid=None, published=when, first_seen=when)  # fmt: skip
            by_poll[(feed, int(ts // SLOT))].append(item)
    polls = sorted(by_poll.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    feeds = sorted({feed for feed, _ in by_poll})
    return feeds, [(feed, items) for (feed, _), items in polls]


async def run(
    location: str | Path, feeds: list[str], polls: list[tuple[str, list[Item]]]
) -> dict[str, float]:
    store = await Store.open(location)
    try:
        async with store.transaction() as db:
            states = await feed_store.sync_feeds(db, feeds)
        stories = StoryIndex(DedupConfig())
        events = EventIndex(EventConfig(), DedupConfig().window)
        items = trips = 0
        refills = getattr(getattr(store, "ids", None), "fetches", 0)
        in_db = 0.0
        wall, cpu = time.perf_counter(), time.process_time()
        for feed, entries in polls:
            state = states[feed]
            began = time.perf_counter()
            async with store.transaction() as tx:
                db = Counting(tx)
                opened = time.perf_counter()
                new = await item_store.insert_new(db, state.id, entries)
                stored = [StoredItem(i, state.id, feed, (), item) for i, item in new]
                if stored:
                    ids = await story_store.reserve_ids(db, len(stored))
                    changes = await story_store.record(db, assign.stories(stories, stored, ids))
                    event_ids = await event_store.reserve_ids(db, len(changes))
                    await event_store.record(db, assign.events(events, changes, event_ids))
                state.last_checked = time.time()
                await feed_store.save_state(db, state)
                closing = time.perf_counter()
            # BEGIN and COMMIT: the transaction's way in and out.
            in_db += db.wall + (opened - began) + (time.perf_counter() - closing)
            trips += db.trips + 2
            items += len(stored)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        trips += getattr(getattr(store, "ids", None), "fetches", 0) - refills
        # Every feed answers 304: only its state changes, written many feeds a transaction.
        writes = StateWrites(store)
        quiet_wall = time.perf_counter()
        for state in states.values():
            state.last_status = 304
            writes.add(state)
        await writes.close()
        quiet_wall = time.perf_counter() - quiet_wall
        batches = -(-len(states) // writes.batch)
        return {
            "items": items,
            "polls": len(polls),
            "items_per_s": items / wall,
            "cpu_us_per_item": cpu / items * 1e6,
            "wall_us_per_item": wall / items * 1e6,
            "store_us_per_item": in_db / items * 1e6,
            "trips_per_poll": trips / len(polls),
            "trips_per_304_poll": 3 * batches / len(states),  # BEGIN, one execute_many, COMMIT
            "us_per_304_poll": quiet_wall / len(states) * 1e6,
        }
    finally:
        await store.close()


def _median(rows: Iterable[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in rows)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--pg", metavar="URL", help="an empty database (default: a throwaway cluster)"
    )
    args = parser.parse_args()
    feeds, polls = load_polls()
    print(
        f"{sum(len(i) for _, i in polls):,} items from {len(feeds):,} feeds in {len(polls):,} polls"
    )
    cluster = None
    if args.pg is None:
        from pgserver import start_cluster

        cluster = start_cluster()
        if cluster is None:
            sys.exit("no PostgreSQL here: install Debian's postgresql, or pass --pg URL")
    results: dict[str, list[dict[str, float]]] = {"sqlite": [], "postgresql": []}
    try:
        for n in range(args.rounds):
            order = ["sqlite", "postgresql"] if n % 2 == 0 else ["postgresql", "sqlite"]
            for backend in order:
                with tempfile.TemporaryDirectory() as tmp:
                    if backend == "sqlite":
                        location: str | Path = Path(tmp) / "bench.db"
                    else:
                        location = args.pg if cluster is None else cluster.create_database("bench")
                    results[backend].append(await run(location, feeds, polls))
    finally:
        if cluster is not None:
            cluster.stop()
    keys = [
        "items_per_s",
        "wall_us_per_item",
        "store_us_per_item",
        "cpu_us_per_item",
        "trips_per_poll",
        "trips_per_304_poll",
        "us_per_304_poll",
    ]
    print(f"median of {args.rounds} rounds (interleaved)")
    print(f"{'':12}" + "".join(f"{k:>20}" for k in keys))
    for backend, rows in results.items():
        print(f"{backend:12}" + "".join(f"{_median(rows, k):>20.3g}" for k in keys))
    sq, pg = results["sqlite"], results["postgresql"]
    ratio = _median(pg, "wall_us_per_item") / _median(sq, "wall_us_per_item")
    store_ratio = _median(pg, "store_us_per_item") / _median(sq, "store_us_per_item")
    cpu_ratio = _median(pg, "cpu_us_per_item") / _median(sq, "cpu_us_per_item")
    print(
        f"PostgreSQL / SQLite per-item cost: whole poll {ratio:.2f}x, its store part"
        f" {store_ratio:.2f}x, client CPU {cpu_ratio:.2f}x (goal <= 1.5x)"
    )


if __name__ == "__main__":
    asyncio.run(main())
