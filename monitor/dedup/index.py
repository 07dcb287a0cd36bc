"""The story window in memory: which story a new headline belongs to, without scanning it.

Same GUID or canonical URL joins at once. Otherwise candidates come from an inverted index
of the headline's rarest words (those in the fewest headlines of the window); only
candidates sharing at least ``min_shared`` of them, and seen within the window, are scored.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from dataclasses import dataclass

from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import Headline, parse
from monitor.dedup.score import score_headlines

RARE_WORDS = 6


@dataclass(frozen=True, slots=True)
class Found:
    story_id: int | None
    score: float
    reason: str  # "same guid" | "same url" | "similar headline" | "new story"


@dataclass(slots=True)
class _Entry:
    story_id: int
    headline: Headline
    seen_at: float


class StoryIndex:
    def __init__(self, config: DedupConfig) -> None:
        self.config = config
        self._entries: list[_Entry | None] = []
        self._postings: defaultdict[str, list[int]] = defaultdict(list)
        self._by_url: dict[str, tuple[int, float]] = {}
        self._by_guid: dict[str, tuple[int, float]] = {}
        self._live = 0
        self.scored = 0  # candidates scored so far (tests check it stays far below the window)

    def __len__(self) -> int:
        return self._live

    def find(
        self,
        title: str,
        summary: str,
        seen_at: float,
        canonical_url: str | None,
        guid: str | None,
    ) -> Found:
        window = self.config.window
        for key, table, reason in (
            (guid, self._by_guid, "same guid"),
            (canonical_url, self._by_url, "same url"),
        ):
            if key and key in table:
                story_id, at = table[key]
                if abs(seen_at - at) <= window:
                    return Found(story_id, 100.0, reason)
        headline = parse(title)
        words = [w for w in set(headline.words) if w in self._postings]
        if not words:
            return Found(None, 0.0, "new story")
        words.sort(key=lambda w: len(self._postings[w]))
        rare = words[:RARE_WORDS]
        shared: Counter[int] = Counter()
        for word in rare:
            shared.update(self._postings[word])
        need = min(self.config.min_shared, len(set(headline.words)))
        best: Found = Found(None, 0.0, "new story")
        for entry_id, count in shared.most_common(self.config.max_candidates):
            if count < need:
                break
            entry = self._entries[entry_id]
            if entry is None or abs(seen_at - entry.seen_at) > window:
                continue
            self.scored += 1
            score = score_headlines(headline, entry.headline, self.config)
            if score >= self.config.threshold and score > best.score:
                best = Found(entry.story_id, score, "similar headline")
        return best

    def add(
        self,
        story_id: int,
        title: str,
        seen_at: float,
        canonical_url: str | None = None,
        guid: str | None = None,
    ) -> None:
        headline = parse(title)
        entry_id = len(self._entries)
        self._entries.append(_Entry(story_id, headline, seen_at))
        self._live += 1
        for word in set(headline.words):
            self._postings[word].append(entry_id)
        if canonical_url:
            self._by_url[canonical_url] = (story_id, seen_at)
        if guid:
            self._by_guid[guid] = (story_id, seen_at)

    def evict(self, before: float) -> int:
        """Forget headlines seen before ``before``; compact the postings when half are gone."""
        dropped = 0
        for i, entry in enumerate(self._entries):
            if entry is not None and entry.seen_at < before:
                self._entries[i] = None
                dropped += 1
        self._live -= dropped
        for table in (self._by_url, self._by_guid):
            for key in [k for k, (_, at) in table.items() if at < before]:
                del table[key]
        if dropped:
            for word in list(self._postings):
                kept = [i for i in self._postings[word] if self._entries[i] is not None]
                if kept:
                    self._postings[word] = kept
                else:
                    del self._postings[word]
        return dropped

    def memory_bytes(self) -> int:
        """A rough size of the index (entries, postings, URL and GUID tables)."""
        size = sys.getsizeof(self._entries) + sys.getsizeof(self._postings)
        size += sum(sys.getsizeof(p) for p in self._postings.values())
        size += sum(sys.getsizeof(w) for w in self._postings)
        size += sum(
            sys.getsizeof(e) + sys.getsizeof(e.headline.text) + sys.getsizeof(e.headline.words)
            for e in self._entries
            if e is not None
        )
        size += sys.getsizeof(self._by_url) + sys.getsizeof(self._by_guid)
        return size
