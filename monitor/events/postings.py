"""The words of the window's events, indexed: which events hold a word, and how rare it is."""

from __future__ import annotations

import math
from collections.abc import Container, Iterable, Mapping

from monitor.events.event import Event
from monitor.events.words import Shared

# The rarest words of a story that draw candidate events: a headline has about eight.
RARE_WORDS = 8
# Events looked at per word, the latest first: a word in thousands of events is common, and
# the events it names long ago are closed or far down the ranking anyway.
PER_WORD = 64


class Rarity:
    """Word -> its weight among ``events`` events, read from the length of its postings:
    the weight of each number of holders is computed once until the number of events
    changes. (Kept per word, every word posted to an event was weighed again, a Python call
    each: most of what an event's norm cost.) A hot loop reads ``postings`` and
    ``by_holders`` itself: ``by_holders[len(postings.get(word, ()))]``."""

    __slots__ = ("by_holders", "events", "postings")

    def __init__(self, postings: dict[str, list[int]], events: int) -> None:
        self.postings = postings
        self.events = events
        self.by_holders = _Weights(events)

    def __getitem__(self, word: str) -> float:
        return self.by_holders[len(self.postings.get(word, ()))]


class _Weights(dict[int, float]):
    """Holders -> the weight of a word they hold, among ``events`` events."""

    def __init__(self, events: int) -> None:
        super().__init__()
        self.events = events

    def __missing__(self, holders: int) -> float:
        weight = self[holders] = _idf(holders, self.events)
        return weight


def _idf(holders: int, events: int) -> float:
    return math.log((events + 1) / (holders + 1)) + 1.0


class EventWords:
    """Word -> the events whose words hold it (the latest last; events forgotten or trimmed
    away drop out at ``compact``). How common a word is, is read from the window's events
    (``events``: the index's own, changed in place), never counted apart: a daemon that runs
    for months then holds no word of the news it has forgotten (names, numbers, other
    languages: each a word of its own), and one restarted on the same window reads what the
    live one reads, not the news of weeks ago (but for the events that trimmed a word away,
    which postings list until ``compact``: the weights' own count)."""

    def __init__(self, events: Mapping[int, Event]) -> None:
        # Items added since start (the window's items, rebuilt at restart): ``LEARNED`` and
        # the norms' staleness read it.
        self.docs = 0
        self._events = events
        self._postings: dict[str, list[int]] = {}
        self._rarity = Rarity(self._postings, 0)

    def items_with(self, word: str, enough: int = 1) -> int:
        """The items of the window's events that hold ``word``, counted up to ``enough``:
        every item of such an event (the one item of most), though some of a bigger event's
        may not hold it themselves."""
        events = self._events
        count = 0
        counted: set[int] = set()
        for event_id in reversed(self._postings.get(word, ())):
            event = events.get(event_id)
            # postings also list, until ``compact``, events that trimmed the word away, and
            # twice one that took it back: a live index and one rebuilt at restart compact
            # at other times, and must count alike
            if event is not None and event_id not in counted and word in event.words:
                counted.add(event_id)
                count += event.items
                if count >= enough:
                    return enough
        return count

    def idf(self, word: str, events: int) -> float:
        """The weight of ``word`` among ``events`` events. Rarity among events, not items: a
        word in every item of one big event ("Titanfall") is the best evidence for that
        event, and one spread over many events is not."""
        return self.rarity(events)[word]

    def rarity(self, events: int) -> Rarity:
        """The weights of words among ``events`` events (``idf`` of each, ``[word]``), read
        from how many events hold each word when asked: true across posts and compactions,
        until the number of events changes."""
        rarity = self._rarity
        if rarity.events != events:
            rarity = self._rarity = Rarity(self._postings, events)
        return rarity

    def all_held(self, words: Iterable[str], events: float) -> bool:
        """Whether each of ``words`` is held by ``events`` events or more (open or closed,
        as posted until the next ``compact``)."""
        get = self._postings.get
        return all(len(get(word, ())) >= events for word in words)

    def posted(self, words: Iterable[str]) -> list[str]:
        """Those of ``words`` that some event holds (or held until ``compact``), in their
        order: every word of every event is posted, so no other can be shared with one."""
        return list(filter(self._postings.__contains__, words))

    def latest(self, word: str) -> list[int]:
        """The events holding ``word``, at most ``PER_WORD`` of the latest."""
        return self._postings.get(word, [])[-PER_WORD:]

    def holding(self, word: str) -> list[int]:
        """The events holding ``word``, the latest last (as posted until ``compact``)."""
        return self._postings.get(word, [])

    def seen(self) -> None:
        """Count an item added."""
        self.docs += 1

    def post(self, words: Iterable[str], event_id: Shared) -> list[list[int]]:
        """``words`` are now among event ``event_id``'s words (an int: typed ``Shared`` so
        that every list holds the caller's object, compiled as in Python); their postings
        lists (which ``Event.held`` keeps), in their order."""
        postings = self._postings
        out = []
        for word in words:
            held = postings.get(word)
            if held is None:
                held = postings[word] = [event_id]
            else:
                held.append(event_id)
            out.append(held)
        return out

    def lists(self, words: Iterable[str]) -> list[list[int]]:
        """The postings lists of ``words`` (all posted), in their order: ``Event.held`` again
        after a ``compact``, which makes new lists."""
        return list(map(self._postings.__getitem__, words))

    def ranked(self, words: Iterable[str], events: int) -> list[int]:
        """The events sharing the rarest ``RARE_WORDS`` of ``words`` (held by the fewest
        events: weighed the most), those sharing the most (weighted by rarity) first."""
        postings = self._postings
        rare = sorted(filter(postings.__contains__, words), key=lambda w: len(postings[w]))
        shared: dict[int, float] = {}
        rarity = self.rarity(events)
        for word in rare[:RARE_WORDS]:
            idf = rarity[word]
            latest: list[Shared] = postings[word][-PER_WORD:]  # its int objects, not copies
            for event_id in reversed(latest):
                shared[event_id] = shared.get(event_id, 0.0) + idf
        return sorted(shared, key=shared.__getitem__, reverse=True)

    def compact(self, holds: dict[int, Container[str]]) -> None:
        """Postings without the events no longer in ``holds`` (event -> its words) or whose
        words no longer hold the word (trimmed)."""
        postings: dict[str, list[int]] = {}
        held: dict[str, list[Shared]] = self._postings  # the lists keep their int objects
        for word, ids in held.items():
            kept = [e for e in ids if e in holds and word in holds[e]]
            if kept:
                postings[word] = kept
        self._postings = postings
        self._rarity = Rarity(postings, self._rarity.events)
