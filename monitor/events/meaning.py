"""The meaning of new stories' headlines, for the semantic extra: embedded a poll at a time."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from monitor.events.semantic import Embedder, Vectors
from monitor.textfold import compatible


class Meanings:
    """Embeddings of the headlines of new stories, computed once each."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._ahead: dict[int, Vectors] = {}  # embedded in a batch (``embed_ahead``)
        self._last: tuple[int, Vectors] | None = None  # the last story embedded alone

    def embed_ahead(self, stories: Sequence[tuple[int, str]]) -> None:
        """Embed the headlines of these new stories in one batch (a poll's worth): one call
        costs about as much as ten one by one."""
        if not stories:
            return
        vectors = self.embedder([compatible(title) for _, title in stories])
        self._ahead = {story_id: vectors[i] for i, (story_id, _) in enumerate(stories)}

    def of(self, story_id: int, title: str) -> Vectors:
        """The embedding of the headline of story ``story_id``."""
        ahead = self._ahead.get(story_id)
        if ahead is not None:
            return ahead
        if self._last is not None and self._last[0] == story_id:
            return self._last[1]
        vector: Vectors = self.embedder([compatible(title)])[0]
        self._last = (story_id, vector)
        return vector

    def summed(self, events: Sequence[Sequence[tuple[int, str]]]) -> list[Vectors]:
        """The summed embeddings of each event's stories' headlines (at least one each),
        added in their order as ``EventIndex.add`` adds them one at a time: those of the last
        batch (``embed_ahead``) as they were, all the others in one batch."""
        known = [[self._ahead.get(story_id) for story_id, _ in stories] for stories in events]
        missing = [
            compatible(title)
            for stories, vectors in zip(events, known, strict=True)
            for (_, title), vector in zip(stories, vectors, strict=True)
            if vector is None
        ]
        fresh = iter(self.embedder(missing) if missing else ())
        out = []
        for vectors in known:
            total: Vectors | None = None
            for vector in vectors:
                vector = next(fresh) if vector is None else vector
                total = vector.copy() if total is None else total + vector
            assert total is not None
            out.append(total)
        return out


def nearest(meanings: Sequence[Vectors], vector: Vectors) -> tuple[int, float]:
    """Which of the events' summed ``meanings`` is nearest ``vector`` (a unit vector), by
    cosine, and that cosine."""
    stacked = np.stack(list(meanings))
    scores = stacked @ vector / np.maximum(np.linalg.norm(stacked, axis=1), 1e-9)
    best = int(np.argmax(scores))
    return best, float(scores[best])
