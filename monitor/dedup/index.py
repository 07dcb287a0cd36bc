"""The story window in memory: which story a new headline belongs to, without scanning it.

Same GUID or canonical URL joins at once. Otherwise candidates come from an inverted index
of the headline's rarest words (those in the fewest headlines of the window; words in more
than ``max_postings`` headlines are too common to say anything and are skipped): only
entries sharing at least ``min_shared`` of them are scored, at most ``max_candidates`` (those
sharing the most, after a C prefilter has dropped those that cannot reach the threshold).
A candidate's story is joined when the headline scores ``threshold`` against that candidate
and ``first_threshold`` against the story's first headline in the window: single link alone
lets a story drift one edit at a time ("Titanfall launches" -> "Titanfall launch hit by Xbox
Live outage" -> "Xbox Live outage").

Memory is what limits a window of a million headlines, so entries live in flat arrays, not
objects: story id, seen time (whole seconds), the story's first entry, and the parsed
headline as a compact key (``Headline.key``) in one byte buffer. Item ids are not kept
(nothing reads them). GUIDs and URLs are kept as 64-bit hashes (``KeyTable``), in one
namespace: a GUID that is another item's canonical URL names the same article, and a feed
whose GUIDs are its links (most) costs one key an item, not two. Eviction is lazy: ``evict``
moves a horizon and drops hour buckets; everything is compacted (renumbered) once evicted
entries outnumber live ones.
"""

from __future__ import annotations

import heapq
import math
import sys
from array import array
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from itertools import accumulate
from typing import NamedTuple

from rapidfuzz import fuzz, process

from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import Headline, from_key, parse
from monitor.dedup.keytable import KeyTable
from monitor.dedup.score import score_headlines

# Candidates come from the postings of this many rarest words of a headline: all of them in
# a real headline. Six was too few: two headlines sharing their seventh and eighth rarest
# words can still score as one story, and brute force found such pairs the index missed.
RARE_WORDS = 12
_BUCKET = 3600  # eviction buckets: one per hour of seen time
_PREFILTER_LIMIT = 400  # candidates the C prefilter looks at, at most (those sharing the most):
# it bounds the cost of a headline made of very common words (about 0.3 ms at this limit)


class Match(NamedTuple):
    """What ``StoryIndex.find`` decided: the story to join (None: a new story), and why."""

    story_id: int | None
    score: float
    reason: str  # "same guid" | "same url" | "similar headline" | "new story"


def _seconds(at: datetime | float) -> float:
    return at.timestamp() if isinstance(at, datetime) else float(at)


# A GUID this long is taken to name one article whatever feed carries it (a UUID, a hash).
MIN_SHARED_GUID = 24


def shared_guid(guid: str | None) -> str | None:
    """``guid`` when it can name the same article in two feeds: a URL, a URN or tag URI, or
    a long opaque id. Short ids ("1", "post-123") are numbered per feed: two feeds' item
    "1" are different articles, so such a GUID joins no story across feeds (None)."""
    if not guid:
        return None
    if len(guid) >= MIN_SHARED_GUID or "://" in guid or guid.startswith(("urn:", "tag:")):
        return guid
    return None


class StoryIndex:
    """The headlines, URLs and GUIDs of the story window, indexed by their rare words."""

    def __init__(self, config: DedupConfig) -> None:
        self.config = config
        self._story = array("q")
        # 32-bit where it is enough ("L" is 64-bit on Linux): at a million headlines every
        # byte per entry or posting is a megabyte or six.
        self._seen = array("I")  # UNIX seconds
        self._first = array("I")  # entry id of the story's first headline in the window
        self._start = array("I")  # where the entry's key starts in _text (ends at the next)
        self._text = bytearray()
        self._dead = bytearray()  # 1 for an evicted entry
        self._postings: defaultdict[str, array[int]] = defaultdict(lambda: array("I"))
        self._keys = KeyTable()
        self._buckets: defaultdict[int, array[int]] = defaultdict(lambda: array("I"))
        self._horizon = -math.inf  # entries seen before it are evicted
        self._live = 0
        self._evicted = 0  # evicted entries not yet compacted away
        # The story of the last find or add and its first entry: add needs it to know a
        # story's first headline without a story -> entry map (which would cost ~100 bytes
        # a story). rebuild_index adds a story's items one after the other for the same reason.
        self._last: tuple[int, int] = (-1, -1)
        self._found_first = -1
        self.scored = 0  # candidates scored so far (tests check it stays far below the window)
        self.last_candidates = 0  # candidates scored by the last find

    def __len__(self) -> int:
        return self._live

    def _alive(self, entry: int) -> bool:
        return not self._dead[entry] and self._seen[entry] >= self._horizon

    def _headline(self, entry: int) -> Headline:
        end = self._start[entry + 1] if entry + 1 < len(self._start) else len(self._text)
        return from_key(self._text[self._start[entry] : end].decode())

    def find(
        self,
        title: str,
        summary: str,
        seen_at: datetime | float,
        canonical_url: str | None = None,
        guid: str | None = None,
    ) -> Match:
        """The story an item seen at ``seen_at`` belongs to (``story_id`` None: a new one).

        ``summary`` is accepted for the API's sake but not scored: summaries differ between
        outlets far more than headlines do, and the STS tuning is on headlines alone.
        """
        seen = _seconds(seen_at)
        window = self.config.window
        self.last_candidates = 0
        self._found_first = -1
        for key, reason in ((shared_guid(guid), "same guid"), (canonical_url, "same url")):
            entry = self._keys.get(key) if key else None
            if entry is not None and self._alive(entry) and abs(seen - self._seen[entry]) <= window:
                self._found_first = self._first[entry]
                self._last = (self._story[entry], self._found_first)
                return Match(self._story[entry], 100.0, reason)
        headline = parse(title)
        postings = self._postings
        cap = self.config.max_postings
        distinct = set(headline.words)
        words = [w for w in distinct if w in postings and len(postings[w]) <= cap]
        best = Match(None, 0.0, "new story")
        if not words:
            return best
        words.sort(key=lambda w: len(postings[w]))
        shared: Counter[int] = Counter()
        for word in words[:RARE_WORDS]:
            shared.update(postings[word])
        need = min(self.config.min_shared, len(distinct))
        threshold = self.config.threshold
        cap = self.config.max_candidates
        candidates = [entry for entry, count in shared.items() if count >= need]
        if len(candidates) > cap:
            candidates = self._prefilter(headline, candidates, shared)
        candidates.sort(key=shared.__getitem__, reverse=True)  # the most words in common first
        first_scores: dict[int, float] = {}
        for entry in candidates[:cap]:
            if not self._alive(entry) or abs(seen - self._seen[entry]) > window:
                continue
            self.last_candidates += 1
            score = score_headlines(headline, self._headline(entry), self.config)
            if score < threshold or score <= best.score:
                continue
            first = self._first[entry]
            if first != entry and self._alive(first):
                if first not in first_scores:
                    first_scores[first] = score_headlines(
                        headline, self._headline(first), self.config
                    )
                if first_scores[first] < self.config.first_threshold:
                    continue
            best = Match(self._story[entry], score, "similar headline")
            self._found_first = first
        self.scored += self.last_candidates
        if best.story_id is not None:
            self._last = (best.story_id, self._found_first)
        return best

    def _prefilter(
        self, headline: Headline, candidates: list[int], shared: Counter[int]
    ) -> list[int]:
        """The candidates that rapidfuzz (in C, a microsecond each) cannot rule out.

        More entries share enough words than ``max_candidates``, and which of them share
        words by chance is not known from the counts: a headline sharing its two commonest
        words with the probe can still score as one story. The score is a blend of the token
        set and token sort ratios less penalties, so it is never above the larger of the two:
        an entry with both below the threshold cannot be a duplicate and is dropped here,
        before the full score (a hundred times dearer) is computed for at most the cap.
        """
        if len(candidates) > _PREFILTER_LIMIT:  # a headline of very common words: bound it
            candidates = heapq.nlargest(_PREFILTER_LIMIT, candidates, key=shared.__getitem__)
        starts, text, last = self._start, self._text, len(self._start) - 1
        texts = [
            text[starts[e] : starts[e + 1] if e < last else len(text)].decode().replace("^", "")
            for e in candidates
        ]
        kept: set[int] = set()
        for scorer in (fuzz.token_set_ratio, fuzz.token_sort_ratio):
            found = process.extract(
                headline.text, texts, scorer=scorer, score_cutoff=self.config.threshold, limit=None
            )
            kept.update(i for _, _, i in found)
        return [candidates[i] for i in sorted(kept)]

    def add(
        self,
        story_id: int,
        item_id: int,
        title: str,
        summary: str,
        seen_at: datetime | float,
        canonical_url: str | None = None,
        guid: str | None = None,
    ) -> str:
        """Index one item of story ``story_id``: its headline, canonical URL and GUID.

        Add a story's items one after the other, or right after the ``find`` that named the
        story: that is how the index knows the story's first headline. Returns the parsed
        headline's key (``Headline.key``), which the store keeps so that a restart can
        ``load`` the window without parsing every headline again.
        """
        headline = parse(title)
        key = headline.key()
        entry = len(self._story)
        seen = max(0, math.floor(_seconds(seen_at)))
        last_story, last_first = self._last
        first = last_first if last_story == story_id and last_first >= 0 else entry
        self._last = (story_id, first)
        self._story.append(story_id)
        self._seen.append(seen)
        self._first.append(first)
        self._start.append(len(self._text))
        self._text += key.encode()
        self._dead.append(0)
        self._buckets[seen // _BUCKET].append(entry)
        self._live += 1
        for word in set(headline.words):
            self._postings[word].append(entry)
        if canonical_url:
            self._keys.put(canonical_url, entry)
        guid = shared_guid(guid)
        if guid and guid != canonical_url:
            self._keys.put(guid, entry)
        return key

    def reserve(self, items: int) -> None:
        """Make room for ``items`` more items before a ``load`` (their GUIDs and URLs)."""
        self._keys.reserve(2 * items)

    def load(self, rows: Sequence[tuple[int, int, str, float, str | None, str | None]]) -> int:
        """``add`` for many items at once, as the rebuild at start does; the number added.

        Each row is ``(story_id, item_id, key, seen, canonical_url, guid)`` with ``key`` the
        ``Headline.key`` that ``add`` returned (the headline is not parsed again), a story's
        rows one after the other, oldest first. The result is the same as ``add`` row by row;
        the work is done a column at a time, with as little Python per row as can be.
        """
        if not rows:
            return 0
        base = len(self._story)
        stories, _, keys, seen_at, urls, guids = zip(*rows, strict=True)
        seens = [max(0, math.floor(s)) for s in seen_at]
        last_story, first = self._last
        firsts = []
        for entry, story_id in enumerate(stories, base):
            if story_id != last_story or first < 0:
                last_story, first = story_id, entry
            firsts.append(first)
        texts = [key.encode() for key in keys]
        self._story.extend(stories)
        self._seen.extend(seens)
        self._first.extend(firsts)
        self._start.extend(accumulate(map(len, texts[:-1]), initial=len(self._text)))
        self._text += b"".join(texts)
        self._dead += bytes(len(rows))
        buckets = self._buckets
        for entry, seen in enumerate(seens, base):
            buckets[seen // _BUCKET].append(entry)
        postings = self._postings
        for entry, key in enumerate(keys, base):
            for word in set(key.replace("^", "").split()):
                postings[word].append(entry)
        self._keys.put_many(
            [(url, e) for e, url in enumerate(urls, base) if url]
            + [
                (g, e)
                for e, (g, url) in enumerate(zip(guids, urls, strict=True), base)
                if shared_guid(g) and g != url
            ]
        )
        self._live += len(rows)
        self._last = (last_story, first)
        return len(rows)

    def evict(self, before: datetime | float) -> int:
        """Forget what was seen before ``before``; the number of headlines forgotten."""
        horizon = _seconds(before)
        if horizon <= self._horizon:
            return 0
        self._horizon = horizon
        last = math.floor(horizon) // _BUCKET
        dropped = 0
        for bucket in [b for b in self._buckets if b <= last]:
            entries = self._buckets.pop(bucket)
            kept = array("I")
            for entry in entries:
                if self._seen[entry] < horizon:
                    self._dead[entry] = 1
                    dropped += 1
                else:
                    kept.append(entry)
            if kept:
                self._buckets[bucket] = kept
        self._live -= dropped
        self._evicted += dropped
        if self._evicted > max(1000, self._live):
            self._compact()
        return dropped

    def _compact(self) -> None:
        """Renumber the live entries from 0 and drop the evicted ones everywhere."""
        remap = array("l", [-1]) * len(self._story)
        live = [e for e in range(len(self._story)) if not self._dead[e]]
        for new, old in enumerate(live):
            remap[old] = new
        texts = [self._headline(e).key().encode() for e in live]
        self._story = array("q", (self._story[e] for e in live))
        self._seen = array("I", (self._seen[e] for e in live))
        # A story whose first headline was evicted: its oldest live entry stands in.
        self._first = array(
            "I", (remap[self._first[e]] if remap[self._first[e]] >= 0 else remap[e] for e in live)
        )
        self._start = array("I")
        self._text = bytearray()
        for text in texts:
            self._start.append(len(self._text))
            self._text += text
        self._dead = bytearray(len(live))
        for word in list(self._postings):
            kept = array("I", (remap[e] for e in self._postings[word] if remap[e] >= 0))
            if kept:
                self._postings[word] = kept
            else:
                del self._postings[word]
        for bucket, entries in self._buckets.items():
            self._buckets[bucket] = array("I", (remap[e] for e in entries if remap[e] >= 0))
        self._keys.remap(lambda e: r if (r := remap[e]) >= 0 else None)
        story, first = self._last
        self._last = (story, remap[first] if first >= 0 else -1)
        self._evicted = 0

    def memory_bytes(self) -> int:
        """The size of the index in bytes (arrays, postings, key table), estimated."""
        arrays = (self._story, self._seen, self._first, self._start)
        size = sum(a.itemsize * len(a) for a in arrays) + len(self._text) + len(self._dead)
        size += sys.getsizeof(self._postings) + sum(
            sys.getsizeof(w) + sys.getsizeof(p) for w, p in self._postings.items()
        )
        size += sum(sys.getsizeof(b) for b in self._buckets.values())
        return size + self._keys.memory_bytes()
