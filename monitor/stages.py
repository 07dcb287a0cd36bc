"""The stages after store, wired together: dedup -> match -> outbox, inside the poll's transaction.

``Stages.after_store`` is what ``pipeline.refresh_feed`` calls with the items it has just
stored for the first time. Stories, matches and the alerts they cause are written in the
same transaction as the items, so a crash keeps all of them or none.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiosqlite

import monitor.outbox as outbox
from monitor.config import Config
from monitor.dedup.index import StoryIndex
from monitor.match import Matcher, compile_rules
from monitor.match.config import RuleConfig
from monitor.metrics import Metrics
from monitor.models import Match, StoredItem, fields_of
from monitor.store import Store
from monitor.store import outbox as alert_rows
from monitor.store import stories as story_store

log = logging.getLogger("monitor.stages")
EVICT_EVERY = 300.0  # seconds between evictions of headlines older than the window


@dataclass
class Stages:
    """The story index and the compiled rules of one running config."""

    config: Config
    index: StoryIndex
    matcher: Matcher
    rules: dict[str, RuleConfig] = field(default_factory=dict)
    metrics: Metrics | None = None
    on_alert: list[object] = field(default_factory=list)  # callbacks: wake the deliverer
    _stale: bool = False
    _evicted_at: float = 0.0
    _latest: float = 0.0

    @classmethod
    async def build(cls, config: Config, store: Store) -> Stages:
        """Compile the rules and rebuild the story window from the store."""
        started = time.monotonic()
        index = StoryIndex(config.dedup)
        since = datetime.fromtimestamp(time.time() - config.dedup.window, UTC)
        count = await story_store.rebuild_index(store.db, index, since)
        log.info(
            "rebuilt the story window: %d headlines in %.1fs", count, time.monotonic() - started
        )
        matcher = compile_rules(config.rules, config.entities)
        return cls(config, index, matcher, {r.name: r for r in config.rules})

    def recompile(self, config: Config) -> None:
        """After a reload: new rules (validated already); a changed [dedup] rebuilds the window."""
        self.matcher = compile_rules(config.rules, config.entities)
        self.rules = {r.name: r for r in config.rules}
        if config.dedup != self.config.dedup:
            self._stale = True
        self.config = config

    def invalidate(self) -> None:
        """A poll's transaction rolled back after assigning stories: the in-memory window may
        name stories the store never kept, so it is rebuilt from the store before next use."""
        self._stale = True

    async def after_store(
        self, db: aiosqlite.Connection, items: Sequence[StoredItem], now: float
    ) -> None:
        if self._stale:
            self.index = StoryIndex(self.config.dedup)
            since = datetime.fromtimestamp(now - self.config.dedup.window, UTC)
            count = await story_store.rebuild_index(db, self.index, since)
            log.warning("rebuilt the story window after a failed poll: %d headlines", count)
            self._stale = False
        changes = await story_store.assign(db, self.index, items)
        self._latest = max(self._latest, *(i.seen_at.timestamp() for i in items))
        if now - self._evicted_at >= EVICT_EVERY:
            # Headlines a window older than the newest one can no longer be joined: forget
            # them, so memory stays bounded over months. The index's clock is publication
            # time (a replay runs on its data's time), not the wall clock.
            self.index.evict(self._latest - self.config.dedup.window)
            self._evicted_at = now
        # The alerts of the stories this poll grew, read at once: most have none. Read before
        # any match below queues new ones, which on_story_grew would leave as they are.
        grown = [c.story.id for c in changes if c.gained_outlet and not c.is_new_story]
        alerts = await alert_rows.stories_alerts(db, grown) if grown else {}
        enqueued = 0
        for change in changes:
            if change.is_new_story and self.metrics is not None:
                self.metrics.stories.inc()
            stored = change.item
            matches = self.matcher.match(
                stored.item.title,
                stored.item.summary,
                feed_name=stored.feed_name,
                feed_url=stored.feed_url,
                tags=stored.feed_tags,
            )
            for match in matches:
                if not await _record_match(db, change.story.id, stored.id, match, now):
                    continue
                if self.metrics is not None:
                    self.metrics.matches.labels(match.rule).inc()
                rule = self.rules.get(match.rule)
                if rule is not None:
                    enqueued += len(
                        await outbox.on_match(
                            db, story=change.story, match=match, rule=rule, now=now
                        )
                    )
            if change.gained_outlet and not change.is_new_story:
                story_alerts = alerts.get(change.story.id, [])
                if story_alerts:
                    await outbox.on_story_grew(db, story=change.story, now=now, alerts=story_alerts)
        if enqueued:
            log.debug("%d alerts queued", enqueued)


async def _record_match(
    db: aiosqlite.Connection, story_id: int, item_id: int, match: Match, now: float
) -> bool:
    """Store why a rule fired; False when this item already matched this rule."""
    cur = await db.execute(
        "INSERT OR IGNORE INTO matches (story_id, item_id, rule, terms, hits, snippet, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            story_id,
            item_id,
            match.rule,
            json.dumps(match.terms, ensure_ascii=False),
            json.dumps([fields_of(h) for h in match.hits], ensure_ascii=False),
            match.snippet,
            now,
        ),
    )
    inserted = cur.rowcount > 0
    await cur.close()
    return inserted
