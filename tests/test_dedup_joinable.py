"""Which headlines of the story window a new item can still join (in the window of its time,
not evicted, its story not quiet too long) is decided two ways: one entry at a time (a wire
copy found by its words) and many at once (the candidates a headline's words draw). Both
give the same answer, at the edges of each limit too."""

from __future__ import annotations

import random

import numpy as np
import pytest

from monitor.dedup.config import DedupConfig
from monitor.dedup.eviction import evict
from monitor.dedup.headline import parse
from monitor.dedup.window import Window

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("window", "quiet", "evicted"),
    [
        ("72h", "12h", False),
        ("72h", "12h", True),
        ("72h", "0s", True),  # stories never close
        ("90s", "90s", True),
        ("1h", "0s", False),
    ],
)
@pytest.mark.parametrize("seed", range(4))
def test_many_at_once_as_one_at_a_time(window: str, quiet: str, evicted: bool, seed: int) -> None:
    rng = random.Random(seed)
    config = DedupConfig(window=window, quiet=quiet)
    span = config.window
    index = Window(config)
    stories = rng.randint(1, 40)
    for entry in range(400):
        # A story's items in a run, seen over twice the window, some on its exact edges.
        seen = NOW + rng.choice([rng.uniform(-2 * span, 2 * span), -span, span, 0.0])
        index.append(entry * stories // 400, parse(f"item {entry}"), "", seen, None, None)
    if evicted:
        evict(index, NOW - rng.uniform(0, span))
    entries = np.arange(400, dtype=np.uint32)
    times = [NOW, NOW + 0.5, NOW - 0.25, NOW + span, NOW - span - 0.5, NOW + 3 * span, 0.0]
    for seen in [*times, *(NOW + rng.uniform(-3 * span, 3 * span) for _ in range(20))]:
        one_at_a_time = [index.can_join(e, seen) for e in range(400)]
        assert index.joinable(entries, seen).tolist() == one_at_a_time, seen
