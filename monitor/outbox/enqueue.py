"""outbox.enqueue: the alerts a match or a growing story causes, written inside the
pipeline's transaction (see the package's docstring)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from monitor.configtypes import format_duration
from monitor.match.config import RuleConfig
from monitor.models import Alert, Event, Match, StoredItem, Story
from monitor.outbox.content import shown
from monitor.outbox.keys import alert_key, event_burst_key
from monitor.store import alerts as rows
from monitor.store import grown
from monitor.store import items as item_store
from monitor.store.alerts import Due
from monitor.store.db import Db

_ESCALATE = {"low": "normal", "normal": "high", "high": "urgent", "urgent": "urgent"}


async def enqueue(
    db: Db,
    *,
    kind: str,
    channel: str,
    alert: Alert,
    dedup_key: str,
    now: float,
) -> int | None:
    """Queue ``alert`` (its id, kind and channel replaced) unless ``(channel, dedup_key)`` is
    already in the outbox; the new alert's id, else None. Call inside a transaction."""
    return await rows.insert(
        db, replace(alert, id=0, kind=kind, channel=channel), dedup_key=dedup_key, now=now
    )


def _burst_extra(rule: RuleConfig) -> dict[str, str]:
    if rule.burst is None:
        return {}
    # Kept with the alert so the growth checks can test the burst without the rules.
    return {
        "burst_outlets": str(rule.burst.outlets),
        "burst_within": repr(rule.burst.within),
        "burst_within_text": format_duration(rule.burst.within),
    }


def _event_extra(event: Event) -> dict[str, str]:
    return {"angles": str(event.stories), "latest": event.latest, "event_title": event.title}


def _event_outlets(event: Event, story: Story) -> tuple[str, ...]:
    """The event's outlets, the one whose headline and link the alert shows first."""
    first = story.outlets[:1]
    return first + tuple(o for o in event.outlets if o not in first)


async def on_grown(
    db: Db,
    *,
    stories: Sequence[tuple[Story, Sequence[tuple[Due, str]]]],
    events: Sequence[tuple[Event, Sequence[tuple[Due, str]]]],
    now: float,
) -> None:
    """The stories and events a poll grew, with their alerts as read before
    (``store.grown``): what ``on_story_grew`` does for each
    story, and for each event its pending alerts refreshed and one update of each message
    already sent queued (or refreshed: "14 outlets, 3 angles; latest: ..."), its bursts
    checked. The refreshed payloads of the pending alerts are written together at the end,
    in one statement, rather than one round trip to the database thread each."""
    refreshed: list[tuple[int, Alert]] = []
    for story, alerts in stories:
        await _story_grew(db, story, now, alerts, refreshed)
    for event, alerts in events:
        await _event_grew(db, event, now, alerts, refreshed)
    # Nothing above reads a "new" or "burst" alert's payload back: it can wait till here.
    await rows.set_payloads(db, refreshed)


async def _event_grew(
    db: Db,
    event: Event,
    now: float,
    alerts: Sequence[tuple[Due, str]],
    refreshed: list[tuple[int, Alert]],
) -> None:
    # A burst alert of this event among them is one per (channel, rule): no need to look for
    # it. Only of this event: a story that moved to it brings the alerts of its old event.
    bursted = {
        (d.alert.channel, d.alert.rule)
        for d, _ in alerts
        if d.alert.kind == "burst" and d.alert.event_id == event.id
    }
    told = _event_extra(event)
    # The event's outlets with one of them first, by that one: an event's alerts (its rules,
    # their channels) mostly show the same outlet first, and an event has many outlets.
    ordered: dict[tuple[str, ...], tuple[str, ...]] = {}
    for due, status in alerts:
        alert = due.alert
        if (
            alert.kind == "new"
            and "burst_outlets" in alert.extra
            and (alert.channel, alert.rule) not in bursted
        ):
            await _maybe_event_burst(db, event, alert, now)
        first = alert.outlets[:1]
        outlets = ordered.get(first)
        if outlets is None:
            outlets = ordered[first] = first + tuple(o for o in event.outlets if o not in first)
        extra = {**alert.extra, **told}
        if alert.outlets == outlets and alert.extra == extra:
            continue
        fresh = replace(alert, outlets=outlets, extra=extra)
        if status == rows.PENDING:
            refreshed.append((alert.id, fresh))
        elif status == rows.SENT and (
            due.external_id or await _new_angle(db, alert, event.stories)
        ):
            # A message that can be edited is (Telegram, the console), at each growth; mail
            # and webhooks get a message of their own (external_id "") once the event has a
            # new angle, not for each outlet more: at most one per update_delay, coalesced.
            await _queue_update(db, due, fresh, now)


async def _new_angle(db: Db, alert: Alert, angles: int) -> bool:
    """Whether the event has more angles than the last message of ``alert`` told (its
    update's, once one was sent), or an update waits that should carry the newest."""
    told = int(alert.extra.get("angles", "1") or 1)
    previous = await rows.by_key(db, alert.channel, f"update:{alert.id}")
    if previous is not None:
        update, status = previous
        if status == rows.PENDING:
            return True
        told = int(update.alert.extra.get("angles", str(told)) or told)
    return angles > told


async def _maybe_event_burst(db: Db, event: Event, base: Alert, now: float) -> int | None:
    """One "burst" alert per (event, rule, channel) once K outlets carry it within T."""
    need = int(base.extra["burst_outlets"])
    key = event_burst_key(event.id, base.rule or "")
    if len(event.outlets) < need or await rows.has_key(db, base.channel, key):
        return None
    count = await item_store.event_outlets_since(
        db, event.id, now - float(base.extra["burst_within"])
    )
    if count < need:
        return None
    burst = replace(
        base,
        kind="burst",
        severity=_ESCALATE.get(base.severity, "high"),
        outlets=event.outlets,
        extra={**base.extra, "burst_count": str(count)},
    )
    return await rows.insert(db, burst, dedup_key=key, now=now)


async def on_match(
    db: Db,
    *,
    story: Story,
    match: Match,
    rule: RuleConfig,
    now: float,
    item: StoredItem | None = None,
    event: Event | None = None,
) -> list[int]:
    """A rule matched an item of ``story``: one "new" alert per channel of the rule, and a
    "burst" alert if the rule's burst condition now holds. Once per story and rule; with
    ``event`` (``alert_on = "event"``), once per event and rule: later matches in the event
    are its updates (``on_grown``)."""
    key, alerts = match_alerts(story=story, match=match, rule=rule, item=item, event=event)
    ids: list[int] = []
    for alert in alerts:
        new_id = await rows.insert(db, alert, dedup_key=key, now=now)
        if new_id is not None:
            ids.append(new_id)
        if rule.burst is not None:
            if event is not None:
                burst_id = await _maybe_event_burst(db, event, alert, now)
            else:
                burst_id = await _maybe_burst(db, story, alert, now)
            if burst_id is not None:
                ids.append(burst_id)
    return ids


@dataclass(slots=True)
class Matched:
    """A match of a poll, with what ``on_match`` needs to queue its alerts."""

    story: Story
    match: Match
    rule: RuleConfig
    item: StoredItem | None = None
    event: Event | None = None


async def on_matches(db: Db, matched: Sequence[Matched], *, now: float) -> int:
    """``on_match`` for a poll's matches: the "new" alerts of all of them in one statement
    (the same keys, so the same no-ops); a rule with a burst condition goes through
    ``on_match``, which checks it after each alert. How many alerts were queued."""
    keyed: list[tuple[Alert, str]] = []
    bursting: list[Matched] = []
    for m in matched:
        if m.rule.burst is not None:
            bursting.append(m)
            continue
        key, alerts = match_alerts(story=m.story, match=m.match, rule=m.rule, item=m.item,
                                   event=m.event)  # fmt: skip
        keyed += [(alert, key) for alert in alerts]
    queued = sum(i is not None for i in await rows.insert_many(db, keyed, now=now))
    for m in bursting:
        queued += len(await on_match(db, story=m.story, match=m.match, rule=m.rule, now=now,
                                     item=m.item, event=m.event))  # fmt: skip
    return queued


def match_alerts(
    *,
    story: Story,
    match: Match,
    rule: RuleConfig,
    item: StoredItem | None = None,
    event: Event | None = None,
) -> tuple[str, list[Alert]]:
    """The "new" alerts a match raises, one per channel of the rule, and their key."""
    extra = _burst_extra(rule)
    outlets = story.outlets
    key = alert_key(story, rule, event)
    if event is not None:
        extra |= _event_extra(event)
        outlets = _event_outlets(event, story)
    view = shown(story, outlets, item, match)  # once for all the rule's channels
    event_id = event.id if event is not None else None
    alerts = [
        Alert(
            id=0,
            channel=channel,
            kind="new",
            title=view.title,
            rule=rule.name,
            severity=rule.severity,
            story_id=story.id,
            url=view.url,
            outlets=view.outlets,
            terms=view.terms,
            snippet=view.snippet,
            published=view.published,
            extra=extra,
            event_id=event_id,
        )
        for channel in dict.fromkeys(rule.channels or match.channels)
    ]
    return key, alerts


async def on_story_grew(
    db: Db,
    *,
    story: Story,
    now: float,
    alerts: Sequence[tuple[Due, str]] | None = None,
) -> None:
    """``story`` gained outlets: refresh its pending alerts, queue (or refresh) one update of
    each message already sent on a channel that can edit, and check the bursts.

    ``alerts``: the story's alerts (``store.grown.stories_alerts``) when the caller read them for
    many stories at once; read here otherwise.
    """
    if alerts is None:
        alerts = await grown.story_alerts(db, story.id)
    await on_grown(db, stories=[(story, alerts)], events=(), now=now)


async def _story_grew(
    db: Db,
    story: Story,
    now: float,
    alerts: Sequence[tuple[Due, str]],
    refreshed: list[tuple[int, Alert]],
) -> None:
    ordered: dict[tuple[str, ...], tuple[str, ...]] = {}  # as in _event_grew
    for due, status in alerts:
        alert = due.alert
        if alert.kind == "new" and "burst_outlets" in alert.extra:
            await _maybe_burst(db, story, alert, now)
        # The outlet whose headline the alert shows stays first.
        first = alert.outlets[:1]
        outlets = ordered.get(first)
        if outlets is None:
            outlets = ordered[first] = first + tuple(o for o in story.outlets if o not in first)
        if alert.outlets == outlets:
            continue
        fresh = replace(alert, outlets=outlets)
        if status == rows.PENDING:
            refreshed.append((alert.id, fresh))
        elif status == rows.SENT and due.external_id:
            await _queue_update(db, due, fresh, now)


async def _queue_update(db: Db, due: Due, fresh: Alert, now: float) -> None:
    """Queue (or refresh) the one update of ``due``'s sent message, carrying ``fresh``: an
    edit of it where the channel gave an id to edit, else a message of its own."""
    update = replace(fresh, kind="update", extra={**fresh.extra, "of_kind": due.alert.kind})
    await rows.upsert_update(
        db,
        update,
        dedup_key=f"update:{due.alert.id}",
        external_id=due.external_id or "",
        now=now,
        due=now,
    )


async def _maybe_burst(db: Db, story: Story, base: Alert, now: float) -> int | None:
    """One "burst" alert per (story, rule, channel) once K outlets carry it within T."""
    need = int(base.extra["burst_outlets"])
    within = float(base.extra["burst_within"])
    key = f"burst:{story.id}:{base.rule}"
    if len(story.outlets) < need or await rows.has_key(db, base.channel, key):
        return None
    count = await _outlets_within(db, story, now - within)
    if count < need:
        return None
    burst = replace(
        base,
        kind="burst",
        severity=_ESCALATE.get(base.severity, "high"),
        outlets=story.outlets,
        extra={**base.extra, "burst_count": str(count)},
    )
    return await rows.insert(db, burst, dedup_key=key, now=now)


async def _outlets_within(db: Db, story: Story, since: float) -> int:
    """Distinct feeds with an item of the story first seen since ``since``."""
    feeds, stored = await item_store.story_outlets_since(db, story.id, since)
    if stored:
        return feeds
    # No items stored for it (a story built by hand): all its outlets count if it began
    # within the window, none otherwise.
    return len(story.outlets) if story.first_seen.timestamp() >= since else 0
