"""An event keeps up to a dozen of its stories' headlines to choose its title from, each with
its words and their weights. Most headlines weigh all their words alike (no name or entity
weighted up): their weights are kept as that one number, not a number per word."""

from __future__ import annotations

import tracemalloc

from monitor.events.event import TITLES, Event


def _vector(i: int, names: int = 0) -> dict[str, float]:
    scale = 1.0 / 8
    vector = {f"w{i}x{j}": scale for j in range(8)}
    for j in range(names):
        vector[f"w{i}x{j}"] = 2 * scale
    return vector


def test_a_title_choice_of_words_weighed_alike_keeps_one_weight() -> None:
    events = [Event(0.0, 0.0) for _ in range(200)]
    vectors = [_vector(i) for i in range(200 * TITLES)]
    titles = [f"Headline number {i} of the day" for i in range(200 * TITLES)]
    score = 0.5
    tracemalloc.start()
    try:
        for n, event in enumerate(events):
            for k in range(TITLES):
                event.offer_title(score, titles[n * TITLES + k], vectors[n * TITLES + k])
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # The choice itself and its tuple of words: about 180 bytes; with an array of 8 weights
    # besides, about 310.
    assert held / (200 * TITLES) < 240, held / (200 * TITLES)
    for vector in (_vector(1), _vector(2, names=3)):
        event = Event(0.0, 0.0)
        event.offer_title(score, "A headline", vector)
        assert list(event.titles[0].weighted()) == list(vector.items())
