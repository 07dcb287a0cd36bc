"""What an event keeps of its items' words: the weights of its centroid. Most events of a
window are one story's, and most of their words came once: at a thousand feeds every byte
of a word is paid tens of thousands of times over, for as long as the window holds it."""

from __future__ import annotations

import csv
import math
import tracemalloc

from conftest import shared

from monitor.dedup.headline import content_words, parse
from monitor.events import EventConfig, EventIndex

ITEMS = 3_000


def _items() -> list[tuple[str, str]]:
    """Real headlines, each with another as its summary."""
    with shared("uci-news-2014-03", "uci-news-aggregator_2014-03-10_12_slice.csv").open(
        encoding="utf-8"
    ) as f:
        titles = list(dict.fromkeys(row[1] for row in list(csv.reader(f))[1:]))[:ITEMS]
    assert len(titles) == ITEMS
    return [(title, titles[(i * 7 + 3) % ITEMS]) for i, title in enumerate(titles)]


def test_an_events_words_cost_little_memory() -> None:
    """Each item an event of its own: 1,880 bytes an item of these when every word's weight
    was a float of its own (24 bytes), 1,600 when a word new to an event keeps the item's."""
    items = _items()
    for title, summary in items:
        content_words(f"{title} {summary}")  # their spellings learnt: not measured
    parse.cache_clear()
    index = EventIndex(EventConfig(), window=math.inf)
    tracemalloc.start()
    try:
        for i, (title, summary) in enumerate(items):
            index.add(i, i, title, summary, float(i))
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held / ITEMS < 1_750, held / ITEMS
    assert [index.title(i) for i in range(0, ITEMS, 300)] == [t for t, _ in items[::300]]
