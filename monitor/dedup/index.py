"""The story window in memory: which story a new headline belongs to, without scanning it.

Same GUID or canonical URL joins at once. Otherwise candidates come from an inverted index
of the headline's rarest words (those in the fewest headlines of the window; words in more
than ``max_postings`` headlines are too common to say anything and are skipped); only
candidates sharing at least ``min_shared`` of them, seen within the window, are scored, at
most ``max_candidates`` of them (those sharing the most words).

Entries live in parallel arrays (story id, seen time, parsed headline, item id). Eviction is
lazy: ``evict`` moves a horizon and forgets hour buckets; postings are compacted when the
evicted entries outnumber the live ones.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass

from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import Headline, parse
from monitor.dedup.score import score_headlines

RARE_WORDS = 6
_BUCKET = 3600.0  # eviction buckets: one per hour of seen time


@dataclass(frozen=True, slots=True)
class Match:
    """What ``StoryIndex.find`` decided: the story to join (None: a new story), and why."""

    story_id: int | None
    score: float
    reason: str  # "same guid" | "same url" | "similar headline" | "new story"


Found = Match  # the earlier name


class StoryIndex:
    """The headlines, URLs and GUIDs of the story window, indexed by their rare words."""

    def __init__(self, config: DedupConfig) -> None:
        self.config = config
        self.by_url: dict[str, int] = {}  # canonical URL -> story id
        self.by_guid: dict[str, int] = {}  # GUID -> story id
        self._url_at: dict[str, float] = {}
        self._guid_at: dict[str, float] = {}
        # Parallel arrays, one slot per entry (an entry is never moved; evicted ones stay dead).
        self._story = array("q")
        self._item = array("q")
        self._seen = array("d")
        self._headlines: list[Headline | None] = []
        self._postings: defaultdict[str, array[int]] = defaultdict(lambda: array("I"))
        self._buckets: defaultdict[int, list[int]] = defaultdict(list)
        self._horizon = -math.inf  # entries seen before it are evicted
        self._live = 0
        self._dead = 0  # evicted entries still in the postings
        self.scored = 0  # candidates scored so far (tests check it stays far below the window)
        self.last_candidates = 0  # candidates scored by the last find

    def __len__(self) -> int:
        return self._live

    def _alive(self, entry_id: int) -> bool:
        return self._headlines[entry_id] is not None and self._seen[entry_id] >= self._horizon

    def find(
        self,
        title: str,
        summary: str,
        seen_at: float,
        canonical_url: str | None,
        guid: str | None,
    ) -> Match:
        """The story a headline seen at ``seen_at`` belongs to; ``story_id`` None if none."""
        window = self.config.window
        self.last_candidates = 0
        for key, table, times, reason in (
            (guid, self.by_guid, self._guid_at, "same guid"),
            (canonical_url, self.by_url, self._url_at, "same url"),
        ):
            if key and key in table:
                at = times[key]
                if at >= self._horizon and abs(seen_at - at) <= window:
                    return Match(table[key], 100.0, reason)
        headline = parse(title)
        postings = self._postings
        cap = self.config.max_postings
        words = [w for w in set(headline.words) if w in postings and len(postings[w]) <= cap]
        if not words:
            return Match(None, 0.0, "new story")
        words.sort(key=lambda w: len(postings[w]))
        shared: Counter[int] = Counter()
        for word in words[:RARE_WORDS]:
            shared.update(postings[word])
        need = min(self.config.min_shared, len(set(headline.words)))
        best = Match(None, 0.0, "new story")
        seen = self._seen
        for entry_id, count in shared.most_common(self.config.max_candidates):
            if count < need:
                break
            if not self._alive(entry_id) or abs(seen_at - seen[entry_id]) > window:
                continue
            other = self._headlines[entry_id]
            assert other is not None
            self.last_candidates += 1
            score = score_headlines(headline, other, self.config)
            if score >= self.config.threshold and score > best.score:
                best = Match(self._story[entry_id], score, "similar headline")
        self.scored += self.last_candidates
        return best

    def add(
        self,
        story_id: int,
        title: str,
        seen_at: float,
        canonical_url: str | None = None,
        guid: str | None = None,
        *,
        item_id: int = 0,
    ) -> None:
        """Index one item of story ``story_id`` (its headline, canonical URL and GUID)."""
        headline = parse(title)
        entry_id = len(self._headlines)
        self._story.append(story_id)
        self._item.append(item_id)
        self._seen.append(seen_at)
        self._headlines.append(headline)
        self._buckets[math.floor(seen_at / _BUCKET)].append(entry_id)
        self._live += 1
        for word in set(headline.words):
            self._postings[word].append(entry_id)
        if canonical_url:
            self.by_url[canonical_url] = story_id
            self._url_at[canonical_url] = seen_at
        if guid:
            self.by_guid[guid] = story_id
            self._guid_at[guid] = seen_at

    def evict(self, before: float) -> int:
        """Forget what was seen before ``before``; the number of headlines forgotten."""
        if before <= self._horizon:
            return 0
        self._horizon = before
        last = math.floor(before / _BUCKET)
        dropped = 0
        for bucket in [b for b in self._buckets if b <= last]:
            entries = self._buckets.pop(bucket)
            kept = [i for i in entries if self._seen[i] >= before]
            for i in entries:
                if self._seen[i] < before:
                    self._headlines[i] = None
            dropped += len(entries) - len(kept)
            if kept:
                self._buckets[bucket] = kept
        self._live -= dropped
        self._dead += dropped
        if self._dead > max(1000, self._live):
            self._compact()
        return dropped

    def _compact(self) -> None:
        """Drop evicted entries from the postings and the URL and GUID tables."""
        for word in list(self._postings):
            kept = array("I", (i for i in self._postings[word] if self._alive(i)))
            if kept:
                self._postings[word] = kept
            else:
                del self._postings[word]
        for table, times in ((self.by_url, self._url_at), (self.by_guid, self._guid_at)):
            for key in [k for k, at in times.items() if at < self._horizon]:
                del table[key], times[key]
        self._dead = 0

    def memory_bytes(self) -> int:
        """A rough size of the index (entries, postings, URL and GUID tables)."""
        size = sum(sys.getsizeof(a) for a in (self._story, self._item, self._seen))
        size += sys.getsizeof(self._headlines) + sys.getsizeof(self._postings)
        size += sum(sys.getsizeof(w) + sys.getsizeof(p) for w, p in self._postings.items())
        size += sum(
            sys.getsizeof(h) + sys.getsizeof(h.text) + sys.getsizeof(h.words)
            for h in self._headlines
            if h is not None
        )
        for table in (self.by_url, self.by_guid, self._url_at, self._guid_at):
            size += sys.getsizeof(table) + sum(sys.getsizeof(k) for k in table)
        size += sys.getsizeof(self._buckets) + sum(sys.getsizeof(b) for b in self._buckets.values())
        return size
