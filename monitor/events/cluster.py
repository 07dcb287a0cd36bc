"""Which event a story belongs to: single pass, in arrival order, no scan of the window.

An event is the coverage of one happening: its stories (near-identical copies, from
``monitor.dedup``), new angles, reactions and follow-ups. Each event keeps a centroid of its
items' words (headline and summary, names weighted up); a new story is scored, by cosine
with weights learned online (rarer words weigh more), against the few open events that share
its rarest words, found through an inverted index of event words. It joins the best one
scoring ``threshold``, else starts an event. An item of a story that has an event joins it:
the story's near-duplicates are the strongest evidence there is.

Time: an event with no new item for ``quiet`` is closed (as a story is), so a similar story
after a quiet night starts a new event; ``evict`` forgets the events older than the window.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from monitor.dedup.headline import Headline, from_key, parse
from monitor.events.config import EventConfig

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
_SUMMARY_CHARS = 500
MIN_SHARED = 2  # words an item and an event must have in common while ...
LEARNED = 500  # ... fewer items than this have taught the index which words are rare

Vector = dict[str, float]


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


def item_vector(
    headline: Headline,
    summary: Headline | None,
    config: EventConfig,
    entities: Iterable[str] = (),
) -> Vector:
    """An item's words: the headline's weigh 1 in all, the summary's ``summary_weight``;
    names and tracked entities ``name_weight`` times a word."""
    vector: Vector = {}
    for part, mass in ((headline, 1.0), (summary, config.summary_weight)):
        if part is None or not part.words or mass <= 0:
            continue
        names = part.names
        weights = [config.name_weight if w in names else 1.0 for w in part.words]
        scale = mass / sum(weights)
        for word, weight in zip(part.words, weights, strict=True):
            vector[word] = vector.get(word, 0.0) + weight * scale
    for entity in entities:
        key = "@" + entity.casefold()
        vector[key] = vector.get(key, 0.0) + config.name_weight / max(1, len(headline.words))
    return vector


def summary_words(summary: str) -> Headline | None:
    """The summary's words as a headline's are made (not cached: summaries do not repeat)."""
    text = summary[:_SUMMARY_CHARS].strip()
    return parse.__wrapped__(text) if text else None


class EventIndex:
    """The open events of the window, indexed by their words."""

    def __init__(self, config: EventConfig, window: float) -> None:
        self.config = config
        self.window = window
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

    def event_of(self, story_id: int) -> int | None:
        """The event a story joined, if the window still holds it."""
        return self._story_event.get(story_id)

    def _idf(self, word: str) -> float:
        return math.log((self._docs + 1) / (self._df.get(word, 0) + 1)) + 1.0

    def _closed(self, event: _Event, seen: float) -> bool:
        quiet = self.config.quiet
        return (quiet > 0 and seen - event.last_seen > quiet) or seen - event.first_seen > (
            self.window
        )

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
        vector = item_vector(headline, summary_words(summary), self.config, entities)
        best, margin = Decision(None, 0.0, "new event"), 1.0
        weighted = self._weighted(vector)
        config = self.config
        for event_id in self._candidates(vector, seen):
            self.last_candidates += 1
            event = self._events[event_id]
            score = self._cosine(weighted, event)
            # Coverage of a happening comes in bursts: an event with an item in the last
            # ``recent`` is joined on weaker evidence than one quiet for longer.
            bar = (
                config.recent_threshold
                if seen - event.last_seen < config.recent
                else (config.threshold)
            )
            if bar > 0 and score / bar >= margin:
                best, margin = Decision(event_id, score, "similar coverage"), score / bar
        return best

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
        """The cosine of an item's weighted words with the event's; 0 when they share fewer
        than ``MIN_SHARED`` words before ``LEARNED`` items have been seen: until then every
        word looks rare, and one word in common ("summit") would score as a happening."""
        vector, norm = weighted
        words, idf = event.words, self._idf
        dot = 0.0
        shared = 0
        for word, weight in vector.items():
            other = words.get(word)
            if other is not None:
                dot += weight * other * idf(word)
                shared += 1
        if dot == 0.0 or (shared < MIN_SHARED and self._docs < LEARNED):
            return 0.0
        return dot / (norm * self._norm(event))

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
    ) -> None:
        """Put an item of ``story_id`` into event ``event_id`` (new or found by ``find``)."""
        event = self._events.get(event_id)
        if event is None:
            event = self._events[event_id] = _Event(seen, seen)
        event.last_seen = max(event.last_seen, seen)
        self._story_event[story_id] = event_id
        headline = from_key(key) if key is not None else parse(title)
        vector = item_vector(headline, summary_words(summary), self.config, entities)
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


class Comparison(NamedTuple):
    """Whether two items would be one event, and why: the score and the words shared."""

    score: float
    same_event: bool  # at ``threshold``: whenever the second comes
    same_if_recent: bool  # at ``recent_threshold``: within ``recent`` of the first
    shared: tuple[str, ...]  # the words both have, heaviest first (as compared: stemmed)


def compare(a: tuple[str, str], b: tuple[str, str], config: EventConfig) -> Comparison:
    """Would item ``b`` (headline, summary) join an event made of item ``a`` alone?

    With no window to learn rarity from, every word weighs the same: the daemon, which
    knows which words are common, can judge a pair either way.
    """
    index = EventIndex(config, window=0.0)
    index.add(1, 1, a[0], a[1], 0.0)
    va = item_vector(parse(a[0]), summary_words(a[1]), config)
    vb = item_vector(parse(b[0]), summary_words(b[1]), config)
    shared = sorted(set(va) & set(vb), key=lambda w: -(va[w] * vb[w]))
    score = index._cosine(index._weighted(vb), index._events[1])
    return Comparison(
        score, score >= config.threshold, score >= config.recent_threshold, tuple(shared)
    )
