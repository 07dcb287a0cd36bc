"""outbox.bursts: the escalated "burst" alert of a rule with a burst condition, once K
outlets carry its story (or event) within T; written inside the pipeline's transaction."""

from __future__ import annotations

from dataclasses import replace

from monitor.configtypes import format_duration
from monitor.match.config import RuleConfig
from monitor.models import Alert, Event, Story
from monitor.outbox.keys import event_burst_key, story_burst_key
from monitor.store import alerts as rows
from monitor.store import items as item_store
from monitor.store.db import Db
from monitor.store.payload import first_kept

_ESCALATE = {"low": "normal", "normal": "high", "high": "urgent", "urgent": "urgent"}


def burst_extra(rule: RuleConfig) -> dict[str, str]:
    """What a "new" alert of ``rule`` keeps of its burst condition (nothing without one)."""
    if rule.burst is None:
        return {}
    # Kept with the alert so the growth checks can test the burst without the rules.
    return {
        "burst_outlets": str(rule.burst.outlets),
        "burst_within": repr(rule.burst.within),
        "burst_within_text": format_duration(rule.burst.within),
    }


async def maybe_event_burst(db: Db, event: Event, base: Alert, now: float) -> int | None:
    """One "burst" alert per (event, rule, channel) once K outlets carry it within T."""
    need = int(base.extra["burst_outlets"])
    key = event_burst_key(event.id, base.rule or "")
    if len(event.outlets) < need or await rows.has_key(db, base.channel, key):
        return None
    count = await item_store.event_outlets_since(
        db, event.id, now - float(base.extra["burst_within"])
    )
    return await _burst(db, base, key, event.outlets, count, need, now)


async def maybe_burst(db: Db, story: Story, base: Alert, now: float) -> int | None:
    """One "burst" alert per (story, rule, channel) once K outlets carry it within T."""
    need = int(base.extra["burst_outlets"])
    within = float(base.extra["burst_within"])
    key = story_burst_key(story.id, base.rule)
    if len(story.outlets) < need or await rows.has_key(db, base.channel, key):
        return None
    count = await _outlets_within(db, story, now - within)
    return await _burst(db, base, key, story.outlets, count, need, now)


async def _burst(
    db: Db, base: Alert, key: str, outlets: tuple[str, ...], count: int, need: int, now: float
) -> int | None:
    """The burst alert, once ``count`` outlets within the window reach ``need``."""
    if count < need:
        return None
    burst = replace(
        base,
        kind="burst",
        severity=_ESCALATE.get(base.severity, "high"),
        # The outlet whose headline and link ``base`` shows stays first, as in its updates.
        outlets=first_kept(base.outlets[:1], outlets),
        extra={**base.extra, "burst_count": str(count)},
    )
    return await rows.insert(db, burst, dedup_key=key, now=now)


async def _outlets_within(db: Db, story: Story, since: float) -> int:
    """Distinct outlets (``StoredItem.outlet_key``) with an item of the story first seen
    since ``since``."""
    feeds, stored = await item_store.story_outlets_since(db, story.id, since)
    if stored:
        return feeds
    # No items stored for it (a story built by hand): all its outlets count if it began
    # within the window, none otherwise.
    return len(story.outlets) if story.first_seen.timestamp() >= since else 0
