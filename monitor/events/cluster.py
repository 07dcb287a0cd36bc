"""Which event a story belongs to: single pass, in arrival order, no scan of the window.

An event is the coverage of one happening: its stories (near-identical copies, from
``monitor.dedup``), new angles, reactions and follow-ups. Each event keeps a centroid of its
items' words (headline and summary, names weighted up; a copy of a story it holds adds its
headline, not its lede again); a new story is scored, by cosine
with weights learned online (a word in fewer events weighs more), against the few open events
that share its rarest words, found through an inverted index of event words. It joins the best
one scoring ``threshold``, else starts an event. An item of a story that has an event joins it:
the story's near-duplicates are the strongest evidence there is.

Time: an event with no new item for ``quiet`` is closed (as a story is), so a similar story
after a quiet night starts a new event; ``evict`` forgets the events older than the window.
An item is placed at its own date, else at when it was first seen; one whose time does not
say when its news happened (``when.untimed``: undated, found on a feed's first poll) is never
within the hour of an event, nor is an event of such items only.

This module holds ``EventIndex``: the events, their stories, the words' postings, and the
decisions (find, add, title, evict); the scores of words against an event's centroid (its
cosine, norm, trim and closest title) are ``Centroids``' (centroids.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from monitor.dedup.headline import Headline, content_words, from_key, parse_in
from monitor.dedup.labels import FeedTitles
from monitor.dedup.languages import headline_language
from monitor.events.centroids import CENTROID_WORDS, LEARNED, MIN_SHARED, Centroids
from monitor.events.config import EventConfig
from monitor.events.event import Event
from monitor.events.meaning import Meanings, nearest
from monitor.events.names import distinct, runs
from monitor.events.postings import EventWords
from monitor.events.semantic import Embedder
from monitor.events.vectors import Feeds, of_feed_item, of_title
from monitor.events.words import Shared, Vector

# A join that rests on one shared word is refused when that word is in this many other open
# events: it names a topic the news keeps coming back to (a company, a country: "Google" in
# its add-ons launch and its referral offer), not this happening. Chosen on the first half
# of the UCI stream with the thresholds (bench/events_quality.py).
TOPIC_EVENTS = 2
# Words an item whose summary says more than its headline (``vectors.LEDE_WORDS`` words of
# its own) must share with an event to join it below ``threshold`` (on the ``recent`` bar):
# such an item brings three or four times a headline's words, and two of them in common
# ("Apple", "iPhone") is what unrelated news of one company has, while two reports of one
# happening share its places, names and numbers too.
SUMMARY_SHARED = 3
# Words news uses of many happenings ("city", "officials", "talks"). A join on the ``recent``
# bar (below ``threshold``) that shares one of them with an event must share
# ``RECENT_SHARED`` other words: a name with one of them ("Kyiv" + "city", "Putin" + "talks")
# is another happening in that place or of that person within the hour, not the same one,
# while a happening's own word ("explosion", "invitation") with the name is. Until ``LEARNED``
# items have taught the index which words are rare, every join below ``threshold`` must.
# A list rather than rarity: asking every join on the ``recent`` bar for two words found in
# fewer than ``TOPIC_EVENTS`` other open events (or common by their items per event) cost UCI
# 0.03 to 0.24 of recall; this costs 0.004 (bench/events_quality.py). "summit", "leaders",
# "discuss", "meet": a young window joined Zelenskyy's EU summit in Brussels to Putin's
# talks with Xi "at a summit in Beijing" on them and "Russian" (explore14's 14-outlet run).
COMMON_WORDS = frozenset(
    content_words(
        "city cities talks officials year years hold held report people day week time plan "
        "call make get take show set back move according announce agree"
        " summit leaders discuss meet meeting"
    )
)
# ... except a gathering's word in the item's headline and the event's titles both: a
# summit's own coverage (review19e).
GATHERING = frozenset(content_words("summit leaders meet meeting"))
RECENT_SHARED = 2  # distinct words (an entity and its name's word once)
# ... and a name written in several words in the item's summary once (``names.runs``): the
# wires' "Russian President Vladimir Putin" in the ledes of his talks with Xi and of his
# invitation to Zelensky is one name in common, not three words; with "talks" it joined
# them in a young window, where ``COMMON_EVENTS`` cannot yet tell "president" is common
# (explore14), while ``monitor dedup-check``, headlines alone, kept them apart.
# When a word is common in the window's news: held by ``COMMON_SHARE`` of the window's events
# and by ``COMMON_EVENTS`` open ones besides the event joined. A head of state, a country
# ("Putin", "Russian", "president") is in many of a day's happenings; one happening's own
# words ("invitation", "Budapest") are not. A join below ``threshold`` whose shared words
# besides ``COMMON_WORDS`` are all that common (Putin's talks with Xi and his invitation to
# Zelensky: "Putin" with the wires' "Russian President Vladimir") is another happening of
# the same people, refused. Learned from the window, as the list above is not. UCI
# (bench/events_quality.py): P 0.956 -> 0.957, R 0.801 -> 0.800, 425 -> 439 events; 5
# events cost 0.007 of the first half's recall. The share keeps a big window's everyday
# words (thousands of events) from counting as a name's: at 1% a stream of 60,000 mixed
# headlines (bench/events_same.py) made 44% more events, at 2% 21%.
COMMON_EVENTS = 6
COMMON_SHARE = 0.02
# A join below ``threshold`` of an item with a lede (``vectors.LEDE_WORDS``) to an event of
# two stories or more must share ``RECENT_SHARED`` telling words with the headlines the
# event keeps for its title (what its stories say in their headlines), in the item's
# headline or lede. The event's summed words hold, besides, the words of two dozen outlets'
# ledes, where a person's name comes with its title ("Ukraine's president", "Russian
# President Vladimir Putin"): another happening of the same person (a visit to the front, a
# gas deal), its lede naming him so, shared the name and those words and joined an
# invitation's event on the name's weight. A report of the happening names a second word of
# its headlines ("Moscow", "invitation"), in its own headline or, live coverage under
# headlines of its own ("Rescuers search the rubble"), in its lede. An event of one story is
# its headline and lede alike. An item of a headline alone (UCI) is judged as before: one
# rare word in common may join it (``TOPIC_EVENTS``).


class Decision(NamedTuple):
    """What ``EventIndex.find`` decided: the event to join (None: a new one), and why."""

    event_id: int | None
    score: float
    reason: str  # "same story" | "similar coverage" | "similar meaning" | "new event"


class EventIndex:
    """The open events of the window, indexed by their words."""

    def __init__(
        self, config: EventConfig, window: float, embedder: Embedder | None = None
    ) -> None:
        self.config = config
        self.window = window
        self._meanings = Meanings(embedder) if embedder is not None else None
        # With an embedder: the stories (id, headline) of each event rebuilt from the store
        # (``add(embed=False)``), whose meaning is summed when first compared (``_mean``)
        self._unmeant: dict[int, list[tuple[int, str]]] = {}
        self._recent: dict[int, None] = {}  # events by last activity, the latest last
        self._events: dict[int, Event] = {}
        self._words = EventWords(self._events)
        self._centroids = Centroids(self._words, self._events)  # scores against these
        self._story_event: dict[int, int] = {}
        self._untimed: set[int] = set()  # events of items whose time is unknown (``when``) only
        self._feeds = Feeds()  # what each feed says under every item
        self.last_candidates = 0
        # A title depends on every event's words (their rarity): it is chosen again only
        # after an ``add`` or ``evict`` anywhere (a poll asks for a new event's twice).
        self._changes = 0
        self._titles: dict[int, tuple[int, str]] = {}  # event -> (``_changes`` then, title)
        # The item ``find`` last read, and its words: ``add`` of that item, next, reads them
        # here instead of parsing its summary again (nothing in between can change them).
        self._found: (
            tuple[tuple[str, str, tuple[str, ...], str | None, int | None, int], Vector] | None
        ) = None

    def __len__(self) -> int:
        return len(self._events)

    def has(self, event_id: int) -> bool:
        """Whether the window holds event ``event_id``."""
        return event_id in self._events

    def _spread(self, word: str, seen: float, but: int, enough: int, once: bool = False) -> int:
        """Open events other than ``but`` whose words hold ``word`` (of the latest few),
        counted up to ``enough``; ``once``: each once, though its postings list an event
        that trimmed the word away and took it back twice until ``evict`` compacts them.
        (Without ``once`` as tuned, on one shared word: UCI's Google add-ons and referral
        offer stay apart only as one other open event is counted twice.)"""
        count = 0
        counted = {but}
        silence = self._silence()  # ``_closed``, inlined
        for event_id in reversed(self._words.latest(word)):  # the open ones are the latest
            event = self._events.get(event_id)
            if event_id not in counted and event is not None and word in event.words:
                if once:
                    counted.add(event_id)
                count += not seen - event.last_seen > silence
                if count == enough:
                    break
        return count

    def _common(self, words: set[str], seen: float, but: int) -> bool:
        """Whether every one of ``words`` is common in the window's news: held by
        ``COMMON_SHARE`` of its events and by ``COMMON_EVENTS`` open ones other than ``but``.
        Their postings' lengths answer most without reading them."""
        # ``but`` holds them all: one more holder
        held = max(COMMON_EVENTS, COMMON_SHARE * len(self._events)) + 1
        if not self._words.all_held(words, held):  # postings hold every holder, some twice
            return False
        return all(self._held(word, seen, but, held) for word in words)

    def _held(self, word: str, seen: float, but: int, held: float) -> bool:
        """Whether ``held`` of the window's events and ``COMMON_EVENTS`` open ones other than
        ``but`` hold ``word``, each counted once: its postings also list, until ``evict``
        compacts them, events that trimmed it away, and twice one that took it back, which
        an index rebuilt from the store (a restart) does not, and it must decide alike."""
        events = self._events
        holders: set[int] = set()
        others = 0
        silence = self._silence()  # ``_closed``, inlined
        for event_id in reversed(self._words.holding(word)):  # the open ones are the latest
            event = events.get(event_id)
            if event_id in holders or event is None or word not in event.words:
                continue
            holders.add(event_id)
            others += event_id != but and not seen - event.last_seen > silence
            if others >= COMMON_EVENTS and len(holders) >= held:
                return True
        return False

    def _closed(self, event: Event, seen: float) -> bool:
        return seen - event.last_seen > self._silence()

    def _silence(self) -> float:
        # Only silence closes an event, as it closes a story: coverage that goes on (a
        # search, a trial) stays one event however long it runs, with one "new" alert.
        quiet = self.config.quiet
        return min(quiet, self.window) if quiet > 0 else self.window

    def _refused(
        self,
        vector: Vector,
        words: Vector,
        event_id: int,
        seen: float,
        below: bool,
        unlearned: bool,
        headline: Headline,
        summary: str,
    ) -> bool:
        """Whether the words ``vector`` shares (two or more) with event ``event_id``'s
        ``words`` are no evidence of one happening. Its telling words are those besides
        ``COMMON_WORDS``, a tracked entity and its name's words ("@kyiv" and "kyiv") one:
        one telling word in ``TOPIC_EVENTS`` other open events is refused at any score;
        below ``threshold``, fewer than ``RECENT_SHARED`` with a ``COMMON_WORDS`` word in
        common (or before the index has learned), or telling words all in
        ``COMMON_EVENTS`` other open events."""
        shared = {word for word in vector if word in words}
        telling = shared - COMMON_WORDS
        event = self._events.get(event_id)
        if event is not None and not shared.isdisjoint(GATHERING):
            # a summit's own coverage: its word in the item's headline and the event's titles
            # tells (review19e: "Hiroshima summit opens ..." split from "G7 leaders gather
            # in Hiroshima for summit", sharing only the place besides)
            titled = {word for title in event.titles for word in title.words}
            telling |= shared & GATHERING & titled & set(headline.words)
        for entity in [word for word in telling if word[:1] == "@"]:
            if not telling.isdisjoint(content_words(entity[1:])):
                telling.discard(entity)
        if below and (unlearned or not shared.isdisjoint(COMMON_WORDS)):
            if len(telling) < RECENT_SHARED:
                return True
            # one name's words, as the item's summary writes it, are one word in common
            if distinct(telling, runs(summary)) < RECENT_SHARED:
                return True
        if len(telling) == 1:
            topic = next(iter(telling))
            return self._spread(topic, seen, event_id, TOPIC_EVENTS, once=True) >= TOPIC_EVENTS
        own = telling.intersection(headline.words)
        if len(own) > 1 and not self._together(own, seen, event_id):
            # two words of its own headline in common that few other open events hold
            # together (two names: "Putin" and "Zelensky"): coverage of one happening, not
            # a title every wire gives a head of state ("Russian President Vladimir Putin")
            return False
        return below and bool(telling) and self._common(telling, seen, event_id)

    @staticmethod
    def _in_titles(vector: Vector, event: Event, headline: Headline) -> bool:
        """Whether ``vector`` shares ``RECENT_SHARED`` telling words (besides
        ``COMMON_WORDS``) with the headlines ``event`` keeps for its title, when it keeps
        two or more; or the item's own ``headline`` shares them with all the event's words,
        its ledes' too (review18g: "Rescuers race to find survivors after Turkey quake" and
        "Erdbeben: ... Kahramanmaras und Hatay" name an earthquake its headlines call
        "earthquake", by places its ledes give)."""
        if len(event.titles) < 2:
            return True
        own = {w for w in headline.words if w in event.words} - COMMON_WORDS
        if len(own) >= RECENT_SHARED:
            return True
        words: set[str] = set()
        for title in event.titles:  # most joins: two words in the first title or two
            words.update([w for w in title.words if w in vector])
            words -= COMMON_WORDS
            if len(words) >= RECENT_SHARED and not any(w[:1] == "@" for w in words):
                return True
        for entity in [word for word in words if word[:1] == "@"]:  # with its name: one
            if not words.isdisjoint(content_words(entity[1:])):
                words.discard(entity)
        return len(words) >= RECENT_SHARED

    def _together(self, words: set[str], seen: float, but: int) -> bool:
        """Whether ``COMMON_EVENTS`` open events other than ``but`` hold all of ``words``."""
        events = self._events
        rarest = min(words, key=lambda word: len(self._words.holding(word)))
        holders: set[int] = {but}
        silence = self._silence()  # ``_closed``, inlined
        for event_id in reversed(self._words.holding(rarest)):  # the open ones are the latest
            event = events.get(event_id)
            if event_id in holders or event is None or seen - event.last_seen > silence:
                continue
            if event.words.keys() >= words:  # holds them all
                holders.add(event_id)
                if len(holders) > COMMON_EVENTS:
                    return True
        return False

    def find(
        self,
        story_id: int,
        title: str,
        summary: str,
        seen: float,
        entities: Iterable[str] = (),
        *,
        key: str | None = None,
        headline: Headline | None = None,
        feed: int | None = None,
        timed: bool = True,
    ) -> Decision:
        """The event of an item of ``story_id`` seen at ``seen`` (``event_id`` None: a new
        one). ``headline``: the title as story matching parsed it, or ``key``: the headline's
        dedup key, when known (either spares parsing it again). ``feed``: the item's feed,
        whose boilerplate (``read_ahead``) its summary's words are read without. ``timed``:
        whether ``seen`` is when its news happened (not ``when.untimed``); if not, no event is
        within the hour of it."""
        self.last_candidates = 0
        known = self._story_event.get(story_id)
        if known is not None and known in self._events:
            return Decision(known, 1.0, "same story")
        headline = _headline(title, summary, key, headline)
        entities = tuple(entities)
        vector, told = of_feed_item(self._words, self.config, self._feeds, feed, headline,
                                    title, summary, entities)  # fmt: skip
        self._found = ((title, summary, entities, key, feed, self._changes), vector)
        needed = SUMMARY_SHARED if told else 0
        best, margin = Decision(None, 0.0, "new event"), 1.0
        weighted, norm, idf = self._centroids.weighted(vector)
        # only a word some event holds can be shared: most of a lede's are in none
        posted = self._words.posted(weighted)
        unlearned = self._words.docs < LEARNED
        # read once, not per candidate (attributes of a pydantic model: slow to compiled code)
        config = self.config
        threshold, recent_bar, within = config.threshold, config.recent_threshold, config.recent
        candidates = self._candidates(posted, seen)
        loose = -1  # the item's words in COMMON_WORDS and its entities ("@kyiv"), when asked
        untimed = self._untimed if timed else None  # None: no event is recent to it
        self.last_candidates = len(candidates)
        for event_id in candidates:
            event = self._events[event_id]
            # ``Centroids.cosine``, inlined, with the item's weights computed once for all
            # candidates
            words = event.words
            common = [word for word in posted if word in words]  # in the item's order
            if not common:
                continue  # scores 0
            dot = 0.0
            for word in common:
                dot += weighted[word] * words[word] * idf[word]
            shared = len(common)
            # with ``lone``, the shared words when they are two or fewer
            first, lone = common[0], common[-1]
            if dot == 0.0 or (shared < MIN_SHARED and unlearned):
                continue  # scores 0: below any bar
            score = dot / (norm * self._centroids.norm(event))
            # Coverage of a happening comes in bursts: an event with an item in the last
            # ``recent`` is joined on weaker evidence than one quiet for longer.
            # The hour is reckoned from the event's span, its first item to its latest: a
            # feed lists its newest item first, and one dated a day before the event's
            # first is not within the hour of it (one dated within the span is).
            last = event.last_seen
            gap = seen - last if seen > last else event.first_seen - seen
            # ... of items whose times say when they happened (``when``): on a feed's first
            # poll undated items are all "first seen" at once, whenever they were published
            recent = gap < within and untimed is not None and event_id not in untimed
            bar = recent_bar if recent else threshold
            if bar > 0 and score / bar >= margin:
                if shared == 1 and self._spread(lone, seen, event_id, TOPIC_EVENTS) >= TOPIC_EVENTS:
                    continue
                # A name and common words ("Kyiv" + "city"; "Putin" + "holds talks", at
                # any score when the name is a topic), or words the window's news uses of
                # many happenings ("Putin", "Russian"), are no evidence of one happening
                # (``TOPIC_EVENTS``, ``COMMON_WORDS``, ``COMMON_EVENTS``).
                below = score < threshold
                if below and told and not self._in_titles(vector, event, headline):
                    continue
                if shared > 1:
                    if not below and loose < 0:
                        loose = len(COMMON_WORDS.intersection(vector)) + len(entities)
                    # above the threshold only one telling word is refused: two or more
                    # shared besides the item's common words and entities cannot be that
                    if (below or shared <= loose + 1) and self._refused(
                        vector, words, event_id, seen, below, unlearned, headline, summary
                    ):
                        continue
                # A name and a product of the item's own headline ("Apple" + "iPhone") are
                # what one company's unrelated news shares; words its summary adds
                # ("earthquake" + "Turkey") are what live coverage of one happening shares.
                if (
                    shared < needed
                    and score < threshold
                    and first in headline.words
                    and lone in headline.words
                ):
                    continue
                best, margin = Decision(event_id, score, "similar coverage"), score / bar
        if best.event_id is None and self._meanings is not None:
            return self._by_meaning(self._meanings, story_id, title, seen)
        return best

    @property
    def labels(self) -> FeedTitles:
        """The titles each feed gives many items (labels): the story index asks the same
        copy (``StoryIndex.labels``), rebuilt with the window at start."""
        return self._feeds.titles

    def read_ahead(self, items: Sequence[tuple[int, str, str]]) -> None:
        """Note a poll's new items' (feed, title, summary) before assigning any: a summary
        that two items of one feed carry weighs nothing, nor a title that many carry (a
        label: "Latest news"), from the first of them."""
        self._feeds.read_ahead(items)

    def embed_ahead(self, stories: Sequence[tuple[int, str]]) -> None:
        """Embed the headlines of these new stories in one batch (a poll's worth): one call
        costs about as much as ten one by one. No-op without an embedder."""
        if self._meanings is not None:
            self._meanings.embed_ahead(stories)

    def _by_meaning(self, meanings: Meanings, story_id: int, title: str, seen: float) -> Decision:
        """The open event, of the ``semantic_events`` most recently active, whose headlines
        mean most nearly what ``title`` does (in any language), if near enough."""
        ids = []
        for event_id in reversed(self._recent):
            event = self._events[event_id]
            if (event.meaning is not None or event_id in self._unmeant) and not self._closed(
                event, seen
            ):
                ids.append(event_id)
                if len(ids) == self.config.semantic_events:
                    break
        if self._unmeant:
            self._mean([event_id for event_id in ids if event_id in self._unmeant], meanings)
        sums = [meaning for e in ids if (meaning := self._events[e].meaning) is not None]
        if not ids:
            return Decision(None, 0.0, "new event")
        self.last_candidates += len(ids)
        best, score = nearest(sums, meanings.of(story_id, title))
        if score >= self.config.semantic_threshold:
            return Decision(ids[best], score, "similar meaning")
        return Decision(None, score, "new event")

    def _mean(self, event_ids: list[int], meanings: Meanings) -> None:
        """The meanings of these rebuilt events: their stories' headlines embedded now (in
        one batch), summed as one daemon would have summed them as they came."""
        if not event_ids:
            return
        summed = meanings.summed([self._unmeant.pop(event_id) for event_id in event_ids])
        for event_id, meaning in zip(event_ids, summed, strict=True):
            self._events[event_id].meaning = meaning

    def _candidates(self, words: Sequence[str], seen: float) -> list[int]:
        """Open events sharing the rarest of ``words``, those sharing the most
        (weighted by rarity) first; at most ``max_candidates``."""
        events = self._events
        out = []
        silence = self._silence()
        most = self.config.max_candidates
        for event_id in self._words.ranked(words, len(events)):
            event = events.get(event_id)
            # ``_closed``, its silence computed once
            if event is not None and not seen - event.last_seen > silence:
                out.append(event_id)
                if len(out) == most:
                    break
        return out

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
        headline: Headline | None = None,
        new_story: bool = True,
        embed: bool = True,
        feed: int | None = None,
        timed: bool = True,
    ) -> None:
        """Put an item of ``story_id`` into event ``event_id`` (new or found by ``find``):
        its headline's words, and its summary's when its story is new to the event
        (``new_story``: a new story's first item, or a story whose event had closed).
        ``headline``, ``key``, ``feed`` or ``timed``: as ``find``'s.

        With an embedder, a new story's headline adds to the event's meaning (about 6 ms);
        ``embed=False`` (the window rebuilt at start) defers that until the event is first
        compared by meaning, so that a restart loses no event's meaning and embeds only
        those of the events still compared (``semantic_events``, open)."""
        entities = tuple(entities)
        if not new_story:
            # A copy of a story the event holds (another outlet's): its headline counts
            # again, one more outlet carrying those words; its lede does not, the story's
            # first item brought one and a copy's mostly repeats it, and reading a lede is
            # most of what an item costs here.
            summary = ""
        found, self._found = self._found, None
        if found is not None and found[0] == (title, summary, entities, key, feed, self._changes):
            vector = found[1]
        else:
            # not read by ``find`` (the window rebuilt at start): its feed learns it here
            headline = _headline(title, summary, key, headline)
            vector, _ = of_feed_item(self._words, self.config, self._feeds, feed, headline,
                                     title, summary, entities)  # fmt: skip
        self._changes += 1
        # one int object for the event in every table that holds it, as Python shares the
        # caller's: compiled, an ``int`` is boxed anew at each store
        boxed: Shared = event_id
        event = self._events.get(event_id)
        if event is None:
            event = self._events[boxed] = Event(seen, seen)
            if not timed:
                self._untimed.add(boxed)
        elif timed and self._untimed:
            self._untimed.discard(event_id)
        event.last_seen = max(event.last_seen, seen)
        event.first_seen = min(event.first_seen, seen)
        self._story_event[story_id] = boxed
        self._recent.pop(event_id, None)
        self._recent[boxed] = None
        if self._meanings is not None and new_story and (not embed or event_id in self._unmeant):
            self._unmeant.setdefault(event_id, []).append((story_id, title))
        elif self._meanings is not None and new_story:
            meaning = self._meanings.of(story_id, title)
            event.meaning = meaning.copy() if event.meaning is None else event.meaning + meaning
        titled = None
        if new_story:
            titled = of_title(self._words, self.config, vector, title, summary, entities,
                              lambda: _headline(title, summary, key, headline))  # fmt: skip
        self._words.seen()
        event.items += 1
        words: dict[str, Shared] = event.words
        new = []
        get = words.get
        weights: dict[str, Shared] = vector
        for word, weight in weights.items():
            # a word new to the event keeps the item's weight, the same float object (0.0 +
            # a weight is that weight): most of an event's words come once, and a float of
            # their own was 24 bytes each
            held = get(word)
            if held is None:
                words[word] = weight
                new.append(word)
            else:
                words[word] = held + weight
        if new:
            event.held += self._words.post(new, boxed)
        if len(words) > 2 * CENTROID_WORDS:
            self._centroids.trim(event)
        event.norm_docs = 0
        if titled is not None:
            event.offer_title(self._centroids.cosine(titled, event), title, titled)

    def title(self, event_id: int) -> str:
        """The event's most representative headline: the closest to its centroid now."""
        event = self._events[event_id]
        if not event.titles:
            return ""
        known = self._titles.get(event_id)
        if known is not None and known[0] == self._changes:
            return known[1]
        title = self._centroids.closest(event)
        self._titles[event_id] = (self._changes, title)
        return title

    def newest(self) -> float:
        """When the latest of the window's events was last seen (0.0 with none)."""
        return max((event.last_seen for event in self._events.values()), default=0.0)

    def evict(self, before: float) -> int:
        """Forget the events last seen before ``before``; the number forgotten."""
        gone = {e for e, event in self._events.items() if event.last_seen < before}
        if not gone:
            return 0
        self._changes += 1
        for event_id in gone:
            del self._events[event_id]
            self._recent.pop(event_id, None)
            self._titles.pop(event_id, None)
            self._untimed.discard(event_id)
            self._unmeant.pop(event_id, None)
        kept: dict[Shared, Shared] = self._story_event  # their int objects, not copies
        self._story_event = {s: e for s, e in kept.items() if e not in gone}
        self._words.compact({e: event.words for e, event in self._events.items()})
        for event in self._events.values():
            event.held = self._words.lists(event.words)
        return len(gone)


def _headline(title: str, summary: str, key: str | None, headline: Headline | None) -> Headline:
    """The item's headline: as handed over, else rebuilt from its key, else parsed (in the
    language story matching parses it in: ``languages.headline_language``)."""
    if headline is not None:
        return headline
    if key is not None:
        return from_key(key)
    return parse_in(title, headline_language(title, summary))
