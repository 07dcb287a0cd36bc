"""The stages after store, wired together: dedup (story, event) -> match -> outbox, inside
the poll's transaction.

``Stages.process`` is what ``pipeline.ingest`` calls with the items it has just
stored for the first time. Stories, events, matches and the alerts they cause are written in
the same transaction as the items, so a crash keeps all of them or none.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from monitor import assign
from monitor.config import Config
from monitor.dedup.index import StoryIndex
from monitor.events import EventIndex
from monitor.events.semantic import UniversalSentenceEncoder
from monitor.match import Matcher, compile_rules
from monitor.match.config import RuleConfig
from monitor.models import Event, Match, StoredItem
from monitor.outbox.enqueue import Matched, on_matches
from monitor.outbox.grow import on_grown
from monitor.outbox.keys import (
    already_queued,
    folded_rules,
    folds_into,
    known_event_alerts,
    told_by_sent,
)
from monitor.store import Store, event_alerts
from monitor.store import events as event_store
from monitor.store import grown as grown_store
from monitor.store import matches as match_store
from monitor.store import stories as story_store
from monitor.store.db import Db
from monitor.store.grown import Held

if TYPE_CHECKING:
    from monitor.metrics import Metrics  # prometheus_client: only when metrics are served

log = logging.getLogger("monitor.stages")
EVICT_EVERY = 300.0  # seconds between evictions of headlines older than the window


@dataclass
class Stages:
    """The story and event indexes and the compiled rules of one running config."""

    config: Config
    index: StoryIndex
    events: EventIndex
    matcher: Matcher
    rules: dict[str, RuleConfig] = field(default_factory=dict)
    metrics: Metrics | None = None
    _stale: bool = False  # the windows are rebuilt from the store before the next decision
    _failed: bool = False  # ... because a poll failed
    _evicted_at: float = 0.0
    _latest: float = 0.0
    queued: int = 0  # alerts queued by matches (new and burst) since start: polls count theirs

    @classmethod
    async def build(cls, config: Config, store: Store, *, lazy: bool = False) -> Stages:
        """Compile the rules and rebuild the story and event windows from the store. With
        ``lazy``, the windows are rebuilt before the first decision instead (``process``):
        a one-shot run whose feeds bring nothing new (every one a 304) never reads them."""
        matcher = compile_rules(config.rules, config.entities)
        stages = cls(
            config,
            StoryIndex(config.dedup),
            EventIndex(config.events, config.dedup.window, None),
            matcher,
            {r.name: r for r in config.rules},
        )
        stages._stale = True
        if not lazy:
            await stages._rebuild(store.db, time.time())
        return stages

    def recompile(self, config: Config) -> None:
        """After a reload: new rules (validated already); a changed [dedup] rebuilds the window."""
        self.matcher = compile_rules(config.rules, config.entities)
        self.rules = {r.name: r for r in config.rules}
        if config.dedup != self.config.dedup or config.events != self.config.events:
            self._stale = True
        self.config = config

    def invalidate(self, *, failed: bool = True) -> None:
        """A poll's transaction rolled back after assigning stories: the in-memory window may
        name stories the store never kept, so it is rebuilt from the store before next use.
        ``failed=False``: nothing failed, the window is only out of date (a node elected
        assigner, while others wrote), and the rebuild is logged as the routine it is."""
        self._stale = True
        self._failed = self._failed or failed

    async def process(self, db: Db, items: Sequence[StoredItem], now: float) -> None:
        """New items, in the poll's transaction: their stories and events, the rules they
        match, and the alerts those queue (and the updates of alerts whose story or event
        grew)."""
        if self._stale:
            await self._rebuild(db, now)
            # A node elected assigner: the alerts per event an assigner of the version before
            # wrote (a rolling upgrade) are filed under their events before it decides.
            await event_alerts.file_unfiled(db)
        changes, plan = await self._assign(db, items)
        self._evict(items, now)
        found = self._find_matches(plan.changes)
        # The rest of the poll's statements, with the rows and JSON they are made of, in one
        # trip to the database (SQLite: run whole on its thread, the event loop waits once).
        matched = await db.together(lambda tx: self._write_rest(tx, changes, plan, found, now))
        if self.metrics is not None:  # once the poll's transaction committed
            self.metrics.stories.inc(sum(c.story.is_new_story for c in plan.changes))
            self.metrics.events.inc(len(plan.created))  # an event once, however many items
            for rule in matched:
                self.metrics.matches.labels(rule).inc()

    async def _write_rest(
        self,
        db: Db,
        changes: Sequence[assign.StoryChange],
        plan: assign.EventPlan,
        found: Sequence[tuple[assign.EventChange, Match]],
        now: float,
    ) -> list[str]:
        """The poll's events, the alerts of what it grew, its matches and the alerts they
        queue; the rules of the matches recorded."""
        grown_stories, grown_events = _grown(changes, plan.changes)
        # The pending alerts the poll may write, locked at once, before its events move any
        # story; the update rows of the sent ones after them: the sender's order
        # (``store.outcome``).
        await grown_store.hold(db, [*grown_stories, *_moved(plan)], grown_events)
        await event_store.record(db, plan)
        of_stories, of_events = await grown_store.grown_alerts(db, grown_stories, grown_events)
        # ... then the update rows of the sent ones, in the same order as the sender's.
        await grown_store.hold_updates(db, of_stories, of_events)
        grown = _Grown(of_stories, of_events)
        matched = await self._record_matches(db, found, now)
        per_event = {name for name, rule in self.rules.items() if rule.alert_on == "event"}
        wanted = set(grown.of_events) | {e.event_id for e, m in matched if m.rule in per_event}
        events = await event_store.load_events(db, sorted(wanted)) if wanted else {}
        # The (channel, key) of the alerts of the grown events: a match in one of them
        # finds its alert in the outbox already, and so does a later match of this call.
        known = {k for alerts in grown.of_events.values() for k in known_event_alerts(alerts)}
        folded = {k for alerts in grown.of_events.values() for k in folded_rules(alerts)}
        overtaken: dict[tuple[str, int], tuple[int, int]] = {}  # (channel, event) -> urgent, story
        named = await self._queue_new(db, matched, events, known, folded, now, overtaken)
        await self._update_grown(db, changes, grown, events, named, now, overtaken)
        return [m.rule for _, m in matched]

    async def _rebuild(self, db: Db, now: float) -> None:
        started = time.monotonic()
        self.index = StoryIndex(self.config.dedup)
        since = datetime.fromtimestamp(now - self.config.dedup.window, UTC)
        count = await story_store.rebuild_index(db, self.index, since)
        took = time.monotonic() - started
        if self._failed:
            log.warning("rebuilt the story window after a failed poll: %d headlines", count)
        else:
            log.info("rebuilt the story window: %d headlines in %.1fs", count, took)
        self.events = await _rebuild_events(db, self.config, since)
        self.index.labels = self.events.labels  # one count of each feed's labels
        # The store hands back the items first seen in the window, and with them news dated
        # earlier that the live daemon forgot at its last eviction (``_evict`` reads the
        # items' dates): forgotten here too before the next poll, or a restarted daemon
        # counts the words of that news and decides unlike the live one (review22a).
        self._latest = max(self._latest, self.events.newest())
        self._forget_old()
        self._stale = self._failed = False

    async def _assign(
        self, db: Db, items: Sequence[StoredItem]
    ) -> tuple[list[assign.StoryChange], assign.EventPlan]:
        """Each item to a story, each story to an event: the indexes decide (pure,
        ``monitor.assign``), the store numbers new stories and events; the stories are
        written here (one trip), the events with the rest of the poll (``_write_rest``)."""
        new_stories = await story_store.reserve_ids(db, len(items))
        decisions = assign.stories(self.index, items, new_stories)
        changes = await db.together(lambda tx: story_store.record(tx, decisions))
        new_events = await event_store.reserve_ids(db, len(changes))
        plan = assign.events(self.events, changes, new_events)
        await db.give_back("stories", new_stories)  # no trip: unused ids leave no gap
        await db.give_back("events", new_events)
        return changes, plan

    def _evict(self, items: Sequence[StoredItem], now: float) -> None:
        if items:
            try:  # the newest date, then its timestamp: not one timestamp per item
                newest = max(i.seen_at for i in items).timestamp()
            except TypeError:  # naive and aware dates together (not from parse): one by one
                newest = max(i.seen_at.timestamp() for i in items)
            self._latest = max(self._latest, newest)
        if now - self._evicted_at >= EVICT_EVERY:
            # Headlines a window older than the newest one can no longer be joined: forget
            # them, so memory stays bounded over months. The index's clock is publication
            # time (a replay runs on its data's time), not the wall clock.
            self._forget_old()
            self._evicted_at = now

    def _forget_old(self) -> None:
        """Forget the headlines and events a window older than the newest item read."""
        before = self._latest - self.config.dedup.window
        self.index.evict(before)
        self.events.evict(before)

    def _find_matches(
        self, event_changes: Sequence[assign.EventChange]
    ) -> list[tuple[assign.EventChange, Match]]:
        """The rules each item matches (the compiled rules over its text; no store, no I/O)."""
        found: list[tuple[assign.EventChange, Match]] = []
        for event_change in event_changes:
            stored = event_change.story.item
            for match in self.matcher.match(
                stored.item.title,
                stored.item.summary,
                feed_name=stored.feed_name,
                feed_url=stored.feed_url,
                tags=stored.feed_tags,
            ):
                found.append((event_change, match))
        return found

    async def _record_matches(
        self, db: Db, found: Sequence[tuple[assign.EventChange, Match]], now: float
    ) -> list[tuple[assign.EventChange, Match]]:
        """Each match recorded (once per item and rule), all of the poll's in one statement;
        those recorded."""
        recorded = await match_store.record_many(
            db, [(e.story.story.id, e.story.item.id, m) for e, m in found], now
        )
        if len(recorded) == len(found):  # each a pair of its own, and stored: most polls
            return list(found)
        matched = []
        for event_change, match in found:
            if (event_change.story.item.id, match.rule) in recorded:
                recorded.discard((event_change.story.item.id, match.rule))  # once, as stored
                matched.append((event_change, match))
        return matched

    async def _queue_new(
        self,
        db: Db,
        matched: Sequence[tuple[assign.EventChange, Match]],
        events: Mapping[int, Event],
        known: set[tuple[str, str]],
        folded: set[tuple[str, str]],
        now: float,
        overtaken: dict[tuple[str, int], tuple[int, int]],
    ) -> dict[tuple[str, int], list[str]]:
        """Queue the matches' "new" alerts (one more urgent than an event's sent message
        names the rules of the event's other matches too); the rules that the update of an
        event's sent message names, by (channel, event): matches that add no message of
        their own. ``overtaken``: see ``on_matches``."""
        queue = []
        told: dict[tuple[str, int], list[str]] = {}
        matched_sent: dict[tuple[str, int], list[str]] = {}  # every rule of those matches
        # The keys of the matches found to queue nothing: another match of the same key (the
        # poll's items of one event, one rule: most of them) would find the same, again.
        # By (rule, event or story, per event): the alert key's parts, not its text.
        settled: set[tuple[str, int, bool]] = set()
        rules = self.rules
        for event_change, match in matched:
            rule = rules.get(match.rule)
            if rule is None:
                continue
            story = event_change.story.story
            event: Event | None = None
            if rule.alert_on == "event":
                event = events[event_change.event_id]
                key = (rule.name, event.id, True)
            else:
                key = (rule.name, story.id, False)
            if key in settled:
                continue
            if already_queued(known, story=story, match=match, rule=rule, event=event):
                settled.add(key)
                if event is not None:
                    for c in told_by_sent(known, story=story, match=match, rule=rule, event=event):
                        _add_rule(told, (c, event.id), rule.name)
                    for c in rule.channels or match.channels:
                        _add_rule(matched_sent, (c, event.id), rule.name)
                continue
            named = folds_into(folded, match=match, rule=rule, event=event)
            queue.append(Matched(story, match, rule, event_change.story.item, event, named))
        enqueued = await on_matches(db, queue, now=now, told=matched_sent, overtaken=overtaken)
        self.queued += enqueued
        if enqueued:
            log.debug("%d alerts queued", enqueued)
        return told

    async def _update_grown(
        self,
        db: Db,
        changes: Sequence[assign.StoryChange],
        grown: _Grown,
        events: Mapping[int, Event],
        named: Mapping[tuple[str, int], Sequence[str]],
        now: float,
        overtaken: Mapping[tuple[str, int], tuple[int, int]],
    ) -> None:
        stories = []
        for change in changes:
            per_story = [a for a in grown.of_stories.get(change.story.id, ()) if a.event_id is None]
            if change.gained_outlet and not change.is_new_story and per_story:
                stories.append((change.story, per_story))
        grown_events = [(events[e], alerts) for e, alerts in grown.of_events.items()]
        await on_grown(
            db, stories=stories, events=grown_events, named=named, overtaken=overtaken, now=now
        )


def _add_rule(rules: dict[tuple[str, int], list[str]], place: tuple[str, int], rule: str) -> None:
    """Add ``rule`` to the rules of ``place`` (a channel and an event), once."""
    named = rules.setdefault(place, [])
    if rule not in named:
        named.append(rule)


def _grown(
    changes: Sequence[assign.StoryChange], event_changes: Sequence[assign.EventChange]
) -> tuple[list[int], list[int]]:
    """The stories and events the poll grew, whose alerts it reads (most have none) before a
    match queues new ones, which the growth checks would leave as they are. An alert per
    event is updated by its event, not by its story."""
    stories = [c.story.id for c in changes if c.gained_outlet and not c.is_new_story]
    return stories, sorted({e.event_id for e in event_changes if not e.is_new_event})


def _moved(plan: assign.EventPlan) -> set[int]:
    """The stories the poll links to an event that were in the store before it: those that
    leave another event have their alerts settled (``store.growth.settle_moved``)."""
    created = {c.story.story.id for c in plan.changes if c.story.is_new_story}
    return {story for _, story in plan.story_links if story not in created}


@dataclass(frozen=True, slots=True)
class _Grown:
    """The alerts of the stories and events a poll grew, with their status."""

    of_stories: Mapping[int, Sequence[Held]]
    of_events: Mapping[int, Sequence[Held]]


async def _rebuild_events(db: Db, config: Config, since: datetime) -> EventIndex:
    started = time.monotonic()
    embedder = UniversalSentenceEncoder() if config.events.semantic else None
    events = EventIndex(config.events, config.dedup.window, embedder)
    count = await event_store.rebuild_index(db, events, since)
    log.info("rebuilt the event window: %d items in %.1fs", count, time.monotonic() - started)
    return events
