"""Which story a new headline belongs to, without scanning the window (window.py keeps it).

Same GUID or canonical URL joins at once; so does a headline made of the same words as one
of the window, in any order (it scores 100). Otherwise candidates come from an inverted index
of the headline's words. The rarest words (in at most ``max_postings`` headlines of the
window) draw candidates; a commoner word draws none alone (thousands of headlines hold it),
but the common words of a headline are intersected with each other and with the entries the
rare ones drew (``postings.shared_by``): two headlines sharing only common words can still
score as one story. A pair of common words found together in more than ``max_postings``
headlines (a template: "Feed 3 update 17") draws none either. Entries sharing at least
``min_shared`` words are ranked by the weight of what they share (a rare word weighs more
than a common one), a story is judged on its ``PER_STORY`` best, and the first
``_PREFILTER_LIMIT`` get a bound on their score in C; those whose bound reaches the
threshold are scored, best bound first, until no bound left can beat the best score (at
most ``max_candidates``). A candidate's story is joined when the headline scores
``threshold`` against that candidate and ``first_threshold`` against the story's first
headline in the window: single link alone lets a story drift one edit at a time
("Titanfall launches" -> "Titanfall launch hit by Xbox Live outage" -> "Xbox Live outage").

A story with no new item for ``quiet`` is closed: a similar headline starts a new story,
the same GUID or URL still joins it. Its last-seen time is kept at its first entry.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from monitor.dedup import postings as posting_ops
from monitor.dedup.bound import SLACK, by_bound
from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import Headline, parse
from monitor.dedup.keytable import MIN_SHARED_GUID, shared_guid
from monitor.dedup.score import score_headlines
from monitor.dedup.window import Window, seconds, sorted_words

__all__ = ["MIN_SHARED_GUID", "StoryIndex", "StoryMatch", "shared_guid"]

# Candidates come from the postings of this many rarest words of a headline: all of them in
# a real headline (two headlines sharing their seventh and eighth rarest words can still
# score as one story).
RARE_WORDS = 12
# Common words of a headline counted (the least common first): each pair of them is
# intersected, which costs more than anything else a find does at a million headlines.
COMMON_WORDS = 4
# A story is judged on its headlines sharing the most with the new one, this many at most: a
# templated feed's story of thousands would take every place under the caps (all its
# headlines look alike), and a story's best few decide as well as all of them.
PER_STORY = 16
# Candidates bounded in C, at most (those sharing the rarest words): it bounds the cost of a
# headline made of common words, which draws thousands.
_PREFILTER_LIMIT = 64
# Candidates drawn, at most, that are ranked in Python rather than numpy: for a few, numpy's
# fixed cost per call is most of the work (the same arithmetic, the same order).
_FEW = 32


class StoryMatch(NamedTuple):
    """What ``StoryIndex.find`` decided: the story to join (None: a new story), and why."""

    story_id: int | None
    score: float
    reason: str  # "same guid" | "same url" | "similar headline" | "new story"


class StoryIndex:
    """Finds the story of a new item in the story window (``Window``: its headlines, GUIDs and
    URLs, and the postings of their words)."""

    def __init__(self, config: DedupConfig) -> None:
        self.config = config
        self.window = Window(config)
        self.last_candidates = 0  # candidates scored by the last find

    def find(
        self,
        title: str,
        summary: str,
        seen_at: datetime | float,
        canonical_url: str | None = None,
        guid: str | None = None,
    ) -> StoryMatch:
        """The story an item seen at ``seen_at`` belongs to (``story_id`` None: a new one).

        ``summary`` is accepted for the API's sake but not scored: summaries differ between
        outlets far more than headlines do, and the STS tuning is on headlines alone.
        """
        seen = seconds(seen_at)
        window = self.window
        self.last_candidates = 0
        for key, reason in ((shared_guid(guid), "same guid"), (canonical_url, "same url")):
            entry = window.by_key(key, seen) if key else None
            if entry is not None:
                story = window.story_of(entry)
                window.remember(story, window.first_of(entry))
                return StoryMatch(story, 100.0, reason)
        headline = parse(title)
        config = self.config
        text = sorted_words(headline.words)
        same = self._same_words(headline, text, seen)
        if same is not None:
            return same
        best = StoryMatch(None, 0.0, "new story")
        first_scores: dict[int, float] = {}
        found_first = -1
        # Best bound first: once the bound is no better than the best score found, no
        # candidate left can beat it (the score is the bound less penalties).
        for entry, bound in self._bounded(text, self._candidates(headline, seen)):
            if bound <= best.score + SLACK or self.last_candidates == config.max_candidates:
                break
            first = window.first_of(entry)
            if first_scores.get(first, 100.0) < config.first_threshold:
                continue  # its story's first headline ruled it out already
            self.last_candidates += 1
            score = score_headlines(headline, window.headlines.headline(entry), config)
            if score < config.threshold or score <= best.score:
                continue
            if first != entry and window.alive(first):
                if first not in first_scores:
                    first_scores[first] = score_headlines(
                        headline, window.headlines.headline(first), config
                    )
                if first_scores[first] < config.first_threshold:
                    continue
            best = StoryMatch(window.story_of(entry), score, "similar headline")
            found_first = first
        if best.story_id is not None:
            window.remember(best.story_id, found_first)
        return best

    def _same_words(self, headline: Headline, text: str, seen: float) -> StoryMatch | None:
        """The story of the newest joinable headline of the window made of the same words
        as this one (``text``: sorted), in any order (the commonest duplicate: wire copy, an
        outlet's reordering), decided without drawing candidates: it scores 100, which no
        candidate can beat. None when there is none, or when the candidates must decide: a
        headline of common words alone (the index draws none for it: a template), a story
        whose first headline rules it out, names that differ where they weigh."""
        window = self.window
        entry = window.same_words(text, seen) if text else None
        if entry is None:
            return None
        config = self.config
        postings, cap = window.headlines.postings, config.max_postings
        if all(len(postings[w]) > cap for w in set(headline.words) if w in postings):
            return None
        # The same words give the same numbers and no opposites: only names (marked by
        # their place and case, not their words) can take the score below 100.
        if (
            config.name_penalty
            and score_headlines(headline, window.headlines.headline(entry), config) < 100.0
        ):
            return None
        first = window.first_of(entry)
        # A story's copies often have its first headline's words: that scores 100 too.
        if (
            first != entry
            and window.alive(first)
            and (config.name_penalty or window.headlines.sorted_text(first) != text)
            and score_headlines(headline, window.headlines.headline(first), config)
            < config.first_threshold
        ):
            return None
        self.last_candidates = 1
        story = window.story_of(entry)
        window.remember(story, first)
        return StoryMatch(story, 100.0, "similar headline")

    def _candidates(self, headline: Headline, seen: float) -> list[int]:
        """The entries that share enough words with ``headline`` and can be joined at
        ``seen``, those sharing the most weight for their length first (the weight of a word
        is its inverse document frequency); at most ``_PREFILTER_LIMIT``, ``PER_STORY`` a
        story."""
        postings = self.window.headlines.postings
        distinct = set(headline.words)
        words = sorted((w for w in distinct if w in postings), key=lambda w: len(postings[w]))
        cap = self.config.max_postings
        lists = [postings[w] for w in words]
        rare = [p for p in lists if len(p) <= cap][:RARE_WORDS]
        need = min(self.config.min_shared, len(distinct))
        common = []
        if need > 1:
            common = lists[len(rare) : len(rare) + COMMON_WORDS]
        if not rare and len(common) < 2:
            return []
        total = self.window.entries + 1
        drawn = posting_ops.shared_by(
            rare, common, need, cap,
            [math.log(total / len(p)) for p in rare],
            [math.log(total / len(p)) for p in common],
        )  # fmt: skip
        if not len(drawn.entries):
            return []
        if len(drawn.entries) <= _FEW:
            return self._few(drawn.entries.tolist(), drawn.weights.tolist(), len(distinct), seen)
        # Dead entries and closed stories must not take the places of those that can join,
        # nor one story's headlines all of them.
        can = self.window.joinable(drawn.entries, seen)
        entries, weights = drawn.entries[can], drawn.weights[can]
        # The weight shared over the words of both headlines (a weighted Dice coefficient):
        # a long headline shares more by chance, and the score is over both.
        weights = weights / (len(distinct) + self.window.headlines.lengths_of(entries))
        many = 4 * _PREFILTER_LIMIT
        if len(entries) > many:  # a template or a big story drew thousands: the best of them
            top = np.argpartition(-weights, many)[:many]
            chosen = self._capped(entries[top], weights[top])
            # Those are the first of all the entries, capped, unless the cap left fewer than
            # the limit (one story had most of the best): then the rest must be looked at.
            if len(chosen) >= _PREFILTER_LIMIT:
                return chosen
        return self._capped(entries, weights)

    def _few(self, entries: list[int], weights: list[float], words: int, seen: float) -> list[int]:
        """``_candidates``'s ranking of a few drawn entries (``words``: the new headline's
        distinct words), in Python: those that can be joined, by weight for their length,
        largest first (ties: the newest first), at most ``PER_STORY`` a story."""
        window = self.window
        length = window.headlines.length
        ranked = sorted(
            (
                (weight / (words + length(entry)), entry)
                for entry, weight in zip(entries, weights, strict=True)
                if window.can_join(entry, seen)
            ),
            reverse=True,
        )
        per_story: dict[int, int] = {}
        out = []
        for _, entry in ranked:
            story = window.story_of(entry)
            taken = per_story.get(story, 0)
            if taken < PER_STORY:
                per_story[story] = taken + 1
                out.append(entry)
        return out[:_PREFILTER_LIMIT]

    def _capped(
        self, entries: npt.NDArray[np.uint32], weights: npt.NDArray[np.float64]
    ) -> list[int]:
        """``entries`` by ``weights``, largest first (ties: the newest first), at most
        ``PER_STORY`` a story and ``_PREFILTER_LIMIT``."""
        order = np.lexsort((entries, weights))[::-1]
        first = entries[order[:_PREFILTER_LIMIT]]
        # A story over the cap among them: in sorted order, the same story PER_STORY apart.
        top = np.sort(self.window.stories_of(first))
        if not (top[PER_STORY:] == top[:-PER_STORY]).any():
            return first.tolist()  # type: ignore[no-any-return]
        # Each entry's place among its story's entries in this order: those past the cap go.
        entries = entries[order]
        stories = self.window.stories_of(entries)
        by_story = np.argsort(stories, kind="stable")
        grouped = stories[by_story]
        starts = np.flatnonzero(np.append(True, grouped[1:] != grouped[:-1]))
        place = np.empty(len(entries), dtype=np.intp)
        place[by_story] = np.arange(len(entries)) - np.repeat(
            starts, np.diff(np.append(starts, len(entries)))
        )
        return entries[place < PER_STORY][:_PREFILTER_LIMIT].tolist()  # type: ignore[no-any-return]

    def _bounded(self, text: str, candidates: list[int]) -> Iterator[tuple[int, float]]:
        """The candidates whose score can reach the threshold, with that bound, best first
        (``bound.by_bound``: each bound is computed as the loop of ``find`` gets to it);
        ``text``: the new headline's words, sorted."""
        if not candidates:
            return
        for at, bound in by_bound(
            text,
            self.window.headlines.sorted_texts(candidates),
            self.config.set_weight,
            self.config.threshold,
        ):
            yield candidates[at], bound

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
        story: that is how the index knows the story's first headline (where its last-seen
        time is kept). Returns the parsed headline's key (``Headline.key``), which the store
        keeps so that a restart can ``load`` the window without parsing every headline again.
        """
        return self.window.append(story_id, parse(title), seen_at, canonical_url, guid)

    def __len__(self) -> int:
        return len(self.window)

    def reserve(self, items: int) -> None:
        """Make room for ``items`` more items before a ``load``."""
        self.window.reserve(items)

    def load(
        self,
        stories: Sequence[int],
        keys: Sequence[str],
        seen_at: Sequence[float],
        urls: Sequence[str | None],
        guids: Sequence[str | None],
    ) -> int:
        """``add`` for many stored items at once (see ``Window.load``); the number added."""
        return self.window.load(stories, keys, seen_at, urls, guids)

    def evict(self, before: datetime | float) -> int:
        """Forget what was seen before ``before``; the number of headlines forgotten."""
        return self.window.evict(before)

    def memory_bytes(self) -> int:
        """The size of the window in bytes, estimated."""
        return self.window.memory_bytes()
