"""Which event a story belongs to: single pass, in arrival order, no scan of the window.

An event is the coverage of one happening: its stories (near-identical copies, from
``monitor.dedup``), new angles, reactions and follow-ups. Each event keeps a centroid of its
items' words (headline and summary, names weighted up); a new story is scored, by cosine
with weights learned online (a word in fewer events weighs more), against the few open events
that share its rarest words, found through an inverted index of event words. It joins the best
one scoring ``threshold``, else starts an event. An item of a story that has an event joins it:
the story's near-duplicates are the strongest evidence there is.

Time: an event with no new item for ``quiet`` is closed (as a story is), so a similar story
after a quiet night starts a new event; ``evict`` forgets the events older than the window.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from monitor.dedup.headline import Headline, from_key, parse
from monitor.events.config import EventConfig
from monitor.events.semantic import Embedder, Vectors
from monitor.events.words import Vector, item_vector, segment_words, summary_words

# The rarest words of a story that draw candidate events: a headline has about eight.
RARE_WORDS = 8
# Events looked at per word, the latest first: a word in thousands of events is common, and
# the events it names long ago are closed or far down the ranking anyway.
PER_WORD = 64
# Words an event's centroid keeps (the heaviest): a big event's coverage adds hundreds, and
# the tail costs time at every score while saying little.
CENTROID_WORDS = 64
# Headlines kept per event to choose its title from (the closest to its centroid).
TITLES = 12
# Items that must hold a word of a headline's outlet-like segment before it counts for the
# event: a topic ("Titanfall - ...") is a word of other headlines, an outlet's name is not.
SEGMENT_DF = 2
MIN_SHARED = 2  # words an item and an event must have in common while ...
LEARNED = 500  # ... fewer items than this have taught the index which words are rare
# A join that rests on one shared word is refused when that word is in this many other open
# events: it names a topic the news keeps coming back to (a company, a country: "Google" in
# its add-ons launch and its referral offer), not this happening. Chosen on the first half
# of the UCI stream with the thresholds (bench/events_quality.py).
TOPIC_EVENTS = 2


class Decision(NamedTuple):
    """What ``EventIndex.find`` decided: the event to join (None: a new one), and why."""

    event_id: int | None
    score: float
    reason: str  # "same story" | "similar coverage" | "new event"


@dataclass(slots=True)
class _Event:
    first_seen: float
    last_seen: float
    words: Vector = field(default_factory=dict)  # summed item vectors (before rarity weights)
    items: int = 0
    titles: list[tuple[float, str, Vector]] = field(default_factory=list)  # score when offered
    norm: float = 0.0  # of ``words`` weighted by rarity, as of ``norm_docs`` items (0: stale)
    norm_docs: int = 0
    meaning: Vectors | None = None  # summed embeddings of its stories' headlines (semantic)


class EventIndex:
    """The open events of the window, indexed by their words."""

    def __init__(
        self, config: EventConfig, window: float, embedder: Embedder | None = None
    ) -> None:
        self.config = config
        self.window = window
        self.embedder = embedder
        self._recent: dict[int, None] = {}  # events by last activity, the latest last
        self._embedded: tuple[int, Vectors] | None = None  # the last story embedded
        self._ahead: dict[int, Vectors] = {}  # embedded in a batch (``embed_ahead``)
        self._df: dict[str, int] = {}  # items holding each word, since start
        self._docs = 0
        self._events: dict[int, _Event] = {}
        self._story_event: dict[int, int] = {}
        self._postings: dict[str, list[int]] = {}  # word -> events whose centroid holds it
        self.last_candidates = 0

    def __len__(self) -> int:
        return len(self._events)

    def has(self, event_id: int) -> bool:
        """Whether the window holds event ``event_id``."""
        return event_id in self._events

    def _idf(self, word: str) -> float:
        # Rarity among events, not items: a word in every item of one big event ("Titanfall")
        # is the best evidence for that event, and one spread over many events is not.
        events = len(self._postings.get(word, ()))
        return math.log((len(self._events) + 1) / (events + 1)) + 1.0

    def _spread(self, word: str, seen: float, but: int) -> int:
        """Open events other than ``but`` whose words hold ``word`` (at most ``PER_WORD``
        of the latest are looked at)."""
        count = 0
        for event_id in self._postings.get(word, ())[-PER_WORD:]:
            event = self._events.get(event_id)
            if event_id != but and event is not None and word in event.words:
                count += not self._closed(event, seen)
        return count

    def _closed(self, event: _Event, seen: float) -> bool:
        # Only silence closes an event, as it closes a story: coverage that goes on (a
        # search, a trial) stays one event however long it runs, with one "new" alert.
        quiet = self.config.quiet
        silence = min(quiet, self.window) if quiet > 0 else self.window
        return seen - event.last_seen > silence

    def find(
        self,
        story_id: int,
        title: str,
        summary: str,
        seen: float,
        entities: Iterable[str] = (),
        *,
        key: str | None = None,
    ) -> Decision:
        """The event of an item of ``story_id`` seen at ``seen`` (``event_id`` None: a new
        one). ``key``: the headline's dedup key, when known (spares parsing it again)."""
        self.last_candidates = 0
        known = self._story_event.get(story_id)
        if known is not None and known in self._events:
            return Decision(known, 1.0, "same story")
        headline = from_key(key) if key is not None else parse(title)
        vector = self._vector(headline, title, summary, entities)
        best, margin = Decision(None, 0.0, "new event"), 1.0
        weighted = self._weighted(vector)
        config = self.config
        for event_id in self._candidates(vector, seen):
            self.last_candidates += 1
            event = self._events[event_id]
            score, lone = self._similarity(weighted, event)
            # Coverage of a happening comes in bursts: an event with an item in the last
            # ``recent`` is joined on weaker evidence than one quiet for longer.
            bar = (
                config.recent_threshold
                if seen - event.last_seen < config.recent
                else (config.threshold)
            )
            if bar > 0 and score / bar >= margin:
                if lone is not None and self._spread(lone, seen, event_id) >= TOPIC_EVENTS:
                    continue
                best, margin = Decision(event_id, score, "similar coverage"), score / bar
        if best.event_id is None and self.embedder is not None:
            return self._by_meaning(story_id, title, seen)
        return best

    def embed_ahead(self, stories: Sequence[tuple[int, str]]) -> None:
        """Embed the headlines of these new stories in one batch (a poll's worth): one call
        costs about as much as ten one by one. No-op without an embedder."""
        if self.embedder is None or not stories:
            return
        vectors = self.embedder([title for _, title in stories])
        self._ahead = {story_id: vectors[i] for i, (story_id, _) in enumerate(stories)}

    def _embedding(self, story_id: int, title: str) -> Vectors:
        ahead = self._ahead.get(story_id)
        if ahead is not None:
            return ahead
        if self._embedded is not None and self._embedded[0] == story_id:
            return self._embedded[1]
        assert self.embedder is not None
        vector: Vectors = self.embedder([title])[0]
        self._embedded = (story_id, vector)
        return vector

    def _by_meaning(self, story_id: int, title: str, seen: float) -> Decision:
        """The open event, of the ``semantic_events`` most recently active, whose headlines
        mean most nearly what ``title`` does (in any language), if near enough."""
        ids = []
        for event_id in reversed(self._recent):
            event = self._events[event_id]
            if event.meaning is not None and not self._closed(event, seen):
                ids.append(event_id)
                if len(ids) == self.config.semantic_events:
                    break
        if not ids:
            return Decision(None, 0.0, "new event")
        self.last_candidates += len(ids)
        vector = self._embedding(story_id, title)
        meanings = np.stack([self._events[e].meaning for e in ids])  # type: ignore[misc]
        scores = meanings @ vector / np.maximum(np.linalg.norm(meanings, axis=1), 1e-9)
        best = int(np.argmax(scores))
        if float(scores[best]) >= self.config.semantic_threshold:
            return Decision(ids[best], float(scores[best]), "similar meaning")
        return Decision(None, float(scores[best]), "new event")

    def _vector(
        self, headline: Headline, title: str, summary: str, entities: Iterable[str]
    ) -> Vector:
        """The item's words; with those of an outlet-like segment of its headline that other
        headlines use as words of their own (a topic, "Titanfall - ..."; an outlet's name is
        not one), weighted as a headline word."""
        vector = item_vector(headline, summary_words(summary), self.config, entities)
        if " " in title:
            df = self._df
            extra = [
                w for w in segment_words(title) if df.get(w, 0) >= SEGMENT_DF and w not in vector
            ]
            if extra:
                weight = 1.0 / max(1, len(headline.words))
                for word in extra:
                    vector[word] = weight
        return vector

    def _candidates(self, vector: Vector, seen: float) -> list[int]:
        """Open events sharing the rarest words of ``vector``, those sharing the most
        (weighted by rarity) first; at most ``max_candidates``."""
        df = self._df
        rare = sorted((w for w in vector if w in self._postings), key=lambda w: df.get(w, 0))
        shared: dict[int, float] = {}
        for word in rare[:RARE_WORDS]:
            idf = self._idf(word)
            for event_id in reversed(self._postings[word][-PER_WORD:]):
                shared[event_id] = shared.get(event_id, 0.0) + idf
        events = self._events
        ranked = sorted(shared, key=shared.__getitem__, reverse=True)
        out = []
        for event_id in ranked:
            event = events.get(event_id)
            if event is not None and not self._closed(event, seen):
                out.append(event_id)
                if len(out) == self.config.max_candidates:
                    break
        return out

    def _weighted(self, vector: Vector) -> tuple[Vector, float]:
        """The item's words weighted by rarity, and the norm of that (once per item)."""
        idf = self._idf
        weighted = {w: weight * idf(w) for w, weight in vector.items()}
        return weighted, math.sqrt(sum(w * w for w in weighted.values()))

    def _norm(self, event: _Event) -> float:
        """The event's norm, computed again when the event changed or the rarity of words
        has moved (a tenth more items seen): the rest of the time it is read, not summed."""
        if event.norm_docs == 0 or self._docs > event.norm_docs * 1.1 + 10:
            idf = self._idf
            event.norm = math.sqrt(sum((x * idf(w)) ** 2 for w, x in event.words.items()))
            event.norm_docs = self._docs
        return event.norm

    def _cosine(self, weighted: tuple[Vector, float], event: _Event) -> float:
        return self._similarity(weighted, event)[0]

    def _similarity(
        self, weighted: tuple[Vector, float], event: _Event
    ) -> tuple[float, str | None]:
        """The cosine of an item's weighted words with the event's, and the one word they
        share when they share only one. 0 when they share fewer than ``MIN_SHARED`` words
        before ``LEARNED`` items have been seen: until then every word looks rare, and one
        word in common ("summit") would score as a happening."""
        vector, norm = weighted
        words, idf = event.words, self._idf
        dot = 0.0
        shared = 0
        lone = None
        for word, weight in vector.items():
            other = words.get(word)
            if other is not None:
                dot += weight * other * idf(word)
                shared += 1
                lone = word
        if dot == 0.0 or (shared < MIN_SHARED and self._docs < LEARNED):
            return 0.0, None
        return dot / (norm * self._norm(event)), lone if shared == 1 else None

    def add(
        self,
        event_id: int,
        story_id: int,
        title: str,
        summary: str,
        seen: float,
        entities: Iterable[str] = (),
        *,
        key: str | None = None,
        new_story: bool = True,
        embed: bool = True,
    ) -> None:
        """Put an item of ``story_id`` into event ``event_id`` (new or found by ``find``).

        With an embedder, a new story's headline adds to the event's meaning (about 6 ms);
        ``embed=False`` skips that (the window rebuilt at start: events regain a meaning
        from their next story)."""
        event = self._events.get(event_id)
        if event is None:
            event = self._events[event_id] = _Event(seen, seen)
        event.last_seen = max(event.last_seen, seen)
        self._story_event[story_id] = event_id
        self._recent.pop(event_id, None)
        self._recent[event_id] = None
        if self.embedder is not None and new_story and embed:
            meaning = self._embedding(story_id, title)
            event.meaning = meaning.copy() if event.meaning is None else event.meaning + meaning
        headline = from_key(key) if key is not None else parse(title)
        vector = self._vector(headline, title, summary, entities)
        self._docs += 1
        for word in vector:
            self._df[word] = self._df.get(word, 0) + 1
        event.items += 1
        words = event.words
        for word, weight in vector.items():
            if word not in words:
                self._postings.setdefault(word, []).append(event_id)
            words[word] = words.get(word, 0.0) + weight
        if len(words) > 2 * CENTROID_WORDS:
            self._trim(event_id, event)
        event.norm_docs = 0
        if new_story:
            self._offer_title(event, title, vector)

    def _trim(self, event_id: int, event: _Event) -> None:
        """Keep the heaviest ``CENTROID_WORDS`` words of a big event (the others are its
        long tail of single mentions); their postings drop it lazily (``_compact``)."""
        idf = self._idf
        heaviest = sorted(event.words.items(), key=lambda kv: kv[1] * idf(kv[0]), reverse=True)
        event.words = dict(heaviest[:CENTROID_WORDS])

    def _offer_title(self, event: _Event, title: str, vector: Vector) -> None:
        """Keep the new story's headline among the title's choices if it is closer to the
        event than the farthest kept (as each was when it came)."""
        score = self._cosine(self._weighted(vector), event)
        if len(event.titles) < TITLES:
            event.titles.append((score, title, vector))
            return
        worst = min(range(len(event.titles)), key=lambda i: event.titles[i][0])
        if score > event.titles[worst][0]:
            event.titles[worst] = (score, title, vector)

    def title(self, event_id: int) -> str:
        """The event's most representative headline: the closest to its centroid now."""
        event = self._events[event_id]
        if not event.titles:
            return ""
        return max(event.titles, key=lambda t: self._cosine(self._weighted(t[2]), event))[1]

    def evict(self, before: float) -> int:
        """Forget the events last seen before ``before``; the number forgotten."""
        gone = {e for e, event in self._events.items() if event.last_seen < before}
        if not gone:
            return 0
        for event_id in gone:
            del self._events[event_id]
            self._recent.pop(event_id, None)
        self._story_event = {s: e for s, e in self._story_event.items() if e not in gone}
        self._compact()
        return len(gone)

    def _compact(self) -> None:
        """Postings without the events forgotten or trimmed away."""
        events = self._events
        postings: dict[str, list[int]] = {}
        for word, ids in self._postings.items():
            kept = [e for e in ids if e in events and word in events[e].words]
            if kept:
                postings[word] = kept
        self._postings = postings
