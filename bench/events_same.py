"""Event decisions and titles over real headlines, dumped for a before/after comparison.

A change meant to make the events layer cheaper must not change one decision. This replays
two streams through ``EventIndex`` as the store drives it (find then add per item, polls of
50, the titles of the events a poll created and touched chosen after it, the window evicted
as it goes) and writes every event id, reason, score (repr) and title to a JSON file:

1. the UCI stream in time order, items of one story (from story matching) as the daemon
   sees them;
2. 60,000 headlines of UCI and STS, each a story of its own, a third with a summary (another
   headline), every fifth followed by a second item of its story, over three windows.

    python <a checkout of main>/bench/events_same.py before.json
    python bench/events_same.py after.json && cmp before.json after.json

(Each checkout's bench puts its own ``monitor`` first on the path: run each one's copy.)
"""

from __future__ import annotations

import json
import sys
from typing import Any

from dedup_quality import assign_stories, load
from events_quality import WINDOW, uci_rows

from monitor.dedup.config import DedupConfig
from monitor.events import EventConfig, EventIndex

POLL = 50


def uci_stream(rows: list[list[str]]) -> list[Any]:
    stories = assign_stories(rows, DedupConfig())
    index = EventIndex(EventConfig(), WINDOW)
    out: list[Any] = []
    seen_story: set[int] = set()
    for start in range(0, len(rows), POLL):
        created, touched = [], set()
        for i in range(start, min(start + POLL, len(rows))):
            title, story, at = rows[i][1], stories[i], int(rows[i][7]) / 1000
            found = index.find(story, title, "", at)
            event = i if found.event_id is None else found.event_id
            if found.event_id is None:
                created.append(event)
            index.add(event, story, title, "", at, new_story=story not in seen_story)
            seen_story.add(story)
            touched.add(event)
            out.append((event, found.reason, repr(found.score)))
        out.append(titles(index, created, touched))
        if start % 20_000 == 0:
            index.evict(at - WINDOW)
    return out


def mixed_stream(rows: list[list[str]], size: int = 60_000) -> list[Any]:
    heads = [r[1] for r in rows] + [t for p in ("train", "dev", "test") for _, a, b in load(p)
                                    for t in (a, b)]  # fmt: skip
    index = EventIndex(EventConfig(), WINDOW)
    out: list[Any] = []
    t0 = 1_700_000_000.0
    for start in range(0, size, POLL):
        created, touched = [], set()
        for i in range(start, start + POLL):
            at = t0 + 3 * WINDOW * i / size
            title = heads[i % len(heads)]
            summary = heads[(i * 7) % len(heads)] if i % 3 == 0 else ""
            found = index.find(i, title, summary, at)
            event = i if found.event_id is None else found.event_id
            if found.event_id is None:
                created.append(event)
            index.add(event, i, title, summary, at)
            out.append((event, found.reason, repr(found.score)))
            if i % 5 == 0:
                again = index.find(i, title, "", at)
                index.add(event, i, title, "", at, new_story=False)
                out.append((again.event_id, again.reason, repr(again.score)))
            touched.add(event)
        out.append(titles(index, created, touched))
        if start % 5_000 == 0:
            index.evict(at - WINDOW)
    return out


def titles(index: EventIndex, created: list[int], touched: set[int]) -> list[tuple[int, str]]:
    """As the store asks: the created events' titles, then every touched one's."""
    first = [(e, index.title(e)) for e in created]
    return first + [(e, index.title(e)) for e in sorted(touched) if index.has(e)]


def main() -> None:
    rows = uci_rows()
    result = {"uci": uci_stream(rows), "mixed": mixed_stream(rows)}
    with open(sys.argv[1], "w", encoding="utf-8") as f:
        json.dump(result, f)
    print(f"{sum(len(v) for v in result.values())} decisions and title lists in {sys.argv[1]}")


if __name__ == "__main__":
    main()
