"""Events of one happening as the poll order varies, and events quality through polls.

The Mt. Gox day (gox8, note14): the first 720 UCI headlines (time order) as 12 polls of 60,
on 8 outlets (a publisher's outlet: crc32 of its name mod 8), each outlet's share of a poll
one ``assign.stories`` + ``assign.events`` call, as the stages make them (no database: ids
counted). The 8 outlets of a poll are taken in 10 orders (seeds 0-9), then the outlets and
each outlet's items in 30: in how many is every headline naming Mt. Gox in one event at the
end (its story's event), and how many events hold them in all. A poll's first story of the
happening without the name ("Bitcoin exchange seeks U.S. bankruptcy protection") starts an
event of its own, and the poll's later stories naming "Mt. Gox" make or join another.

Then the whole UCI stream the same way (outlets in seed 0's order): pairwise precision,
recall, F1 of the events against the STORY label, and the number of events (each headline's
event as its poll left it), as bench/events_quality.py reports them item by item.

    python bench/events_orders.py                        # this checkout
    python bench/events_orders.py --code /path/to/base   # another checkout's monitor/
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parent
OUTLETS = 8
POLL = 60
ORDERS = 10
DAY = 720


def replay(rows: list[list[str]], seed: int, items: bool = False) -> tuple[list[int], list[int]]:
    """Each row's event as its poll left it, and its story's event at the end; ``seed``
    orders the outlets of each poll, and with ``items`` each outlet's items too."""
    from monitor import assign
    from monitor.dedup.config import DedupConfig
    from monitor.dedup.index import StoryIndex
    from monitor.events import EventConfig, EventIndex
    from monitor.models import Item, StoredItem, Story

    window = 72 * 3600.0
    stories = StoryIndex(DedupConfig())
    events = EventIndex(EventConfig(), window)
    stories.labels = events.labels
    story_ids, event_ids = iter(range(1, 10**9)), iter(range(1, 10**9))
    rng = random.Random(seed)
    row_event: dict[int, int] = {}
    row_story: dict[int, int] = {}
    story_event: dict[int, int] = {}
    for start in range(0, len(rows), POLL):
        outlets = list(range(OUTLETS))
        rng.shuffle(outlets)
        batches: list[list[StoredItem]] = [[] for _ in range(OUTLETS)]
        for n in range(start, min(start + POLL, len(rows))):
            r = rows[n]
            outlet = zlib.crc32(r[3].encode()) % OUTLETS
            at = datetime.fromtimestamp(int(r[7]) / 1000, UTC)
            item = Item(r[0], r[1], "", r[2], r[2], r[2], at, at)
            batches[outlet].append(StoredItem(n, outlet, f"outlet{outlet}", (), item))
        polls = [batches[o] for o in outlets]
        if items:
            for batch in polls:
                rng.shuffle(batch)
        for batch in polls:
            if not batch:
                continue
            decisions = assign.stories(stories, batch, story_ids)
            changes = [
                assign.StoryChange(
                    d.item,
                    Story(d.story_id, d.item.item.title, None, d.item.seen_at, d.item.seen_at, ()),
                    d.is_new_story,
                    False,
                    d.headline,
                )
                for d in decisions
            ]
            plan = assign.events(events, changes, event_ids)
            for change in plan.changes:
                row_event[change.story.item.id] = change.event_id
                row_story[change.story.item.id] = change.story.story.id
                story_event[change.story.story.id] = change.event_id
            for event_id, story_id in plan.story_links:
                story_event[story_id] = event_id
    order = range(len(rows))
    return [row_event[n] for n in order], [story_event[row_story[n]] for n in order]


def _use(code: Path) -> ModuleType:
    """The ``monitor`` package of checkout ``code``, imported before bench/events_quality.py
    puts this checkout first on the path."""
    sys.path[:0] = [str(code.resolve()), str(BENCH)]
    import monitor

    return monitor


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--code", type=Path, default=BENCH.parent, help="checkout to import")
    a = ap.parse_args()
    monitor = _use(a.code)
    from dedup_quality import pairwise
    from events_quality import f1, uci_rows

    print(f"code: {Path(monitor.__file__).parent}")
    rows = uci_rows()
    day = rows[:DAY]
    gox = [n for n, r in enumerate(day) if "gox" in r[1].casefold()]
    for items, orders in ((False, ORDERS), (True, 3 * ORDERS)):
        holding = [len({replay(day, seed, items)[1][n] for n in gox}) for seed in range(orders)]
        how = "outlets and their items" if items else "outlets"
        print(
            f"Mt. Gox day ({len(day)} headlines, {len(gox)} naming Mt. Gox, {DAY // POLL} polls"
            f" x {OUTLETS} outlets), {how} in {orders} orders: one event in "
            f"{holding.count(1)}/{orders}; events holding them {sum(holding)} in all"
        )
    started = time.perf_counter()
    assignment, _ = replay(rows, 0)
    took = time.perf_counter() - started
    labels = [r[5] for r in rows]
    p, r, n = pairwise(assignment, labels)
    print(
        f"UCI whole through polls ({len(rows)} headlines, {took:.1f}s): "
        f"P {p:.4f} R {r:.4f} F1 {f1(p, r):.4f} ({n} events)"
    )


if __name__ == "__main__":
    main()
