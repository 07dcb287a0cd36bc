"""outbox.enqueue: the alerts a match causes, and the monitor's own health alerts, written
inside the pipeline's transaction (see the package's docstring); what a story or an event
that grew causes is ``outbox.grow``'s."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from monitor.match.config import RuleConfig
from monitor.models import Alert, Event, Match, StoredItem, Story
from monitor.outbox.bursts import burst_extra, maybe_burst, maybe_event_burst
from monitor.outbox.content import (
    Shown,
    credited,
    event_extra,
    event_outlets,
    plain_terms,
    shown,
)
from monitor.outbox.keys import alert_key
from monitor.outbox.per_event import one_per_event
from monitor.store import alerts as rows
from monitor.store.db import Db
from monitor.store.story_rows import fill_outlets


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


async def enqueue_health(
    db: Db,
    channels: Sequence[str],
    *,
    title: str,
    severity: str,
    extra: dict[str, str],
    dedup_key: str,
    now: float,
    url: str | None = None,
) -> None:
    """Queue a health alert (the monitor's own news: a feed broken or back, a channel that
    holds its alerts) on each of ``channels``. Call inside a transaction."""
    alert = Alert(0, "", "health", title, severity=severity, url=url, extra=extra)
    for channel in channels:
        await enqueue(db, kind="health", channel=channel, alert=alert, dedup_key=dedup_key, now=now)


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
    await fill_outlets(db, [story])
    key, alerts = match_alerts(story=story, match=match, rule=rule, item=item, event=event)
    kept = {a.channel for a, _ in await one_per_event(db, [(a, key) for a in alerts], now=now)}
    ids: list[int] = []
    for alert in alerts:
        new_id = (
            await rows.insert(db, alert, dedup_key=key, now=now) if alert.channel in kept else None
        )
        if new_id is not None:
            ids.append(new_id)
    if rule.burst is not None:
        ids += await _bursts(db, story, event, alerts, now)
    return ids


async def _bursts(
    db: Db, story: Story, event: Event | None, alerts: Sequence[Alert], now: float
) -> list[int]:
    """The "burst" alerts of a rule with a burst condition, checked after its "new" ones."""
    ids: list[int] = []
    for alert in alerts:
        if event is not None:
            burst_id = await maybe_event_burst(db, event, alert, now)
        else:
            burst_id = await maybe_burst(db, story, alert, now)
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
    # Of a rule the pending alert of the event names already (``outbox.keys.folds_into``).
    folded: bool = False


async def on_matches(
    db: Db,
    matched: Sequence[Matched],
    *,
    now: float,
    told: Mapping[tuple[str, int], Sequence[str]] | None = None,
    overtaken: dict[tuple[str, int], tuple[int, int]] | None = None,
) -> int:
    """``on_match`` for a poll's matches: the "new" alerts of all of them in one statement
    (the same keys, so the same no-ops), one per event and channel naming every rule; then
    the burst condition of each rule that has one. How many alerts were queued. A match of
    a rule the event's pending alert names already adds nothing to it on its own: it is
    left out unless another match of the event is queued, whose alert it is merged with.
    ``told``: see ``one_per_event``. ``overtaken``: by (channel, event), the id of the
    alert queued there more urgent than the message sent and of the story it tells: the
    update of that message waits for it when that story is an angle it adds (``outbox.told``)."""
    if any(m.folded for m in matched):
        others = {m.event.id for m in matched if not m.folded and m.event is not None}
        matched = [
            m for m in matched if not m.folded or (m.event is not None and m.event.id in others)
        ]
    await fill_outlets(db, [m.story for m in matched])
    keyed: list[tuple[Alert, str]] = []
    bursting: list[tuple[Matched, list[Alert]]] = []
    # (channel, key) -> the match whose item its alert shows: the first to queue it.
    showing: dict[tuple[str, str], Matched] = {}
    for m in matched:
        if m.rule.burst is not None:  # its burst alerts are made of its "new" ones, shown
            key, alerts = match_alerts(story=m.story, match=m.match, rule=m.rule, item=m.item,
                                       event=m.event)  # fmt: skip
            bursting.append((m, alerts))
        else:
            key, alerts = _deciding(m.story, m.match, m.rule, m.event)
            for alert in alerts:
                showing.setdefault((alert.channel, key), m)
        keyed += [(alert, key) for alert in alerts]
    overtaking: set[tuple[str, int]] = set()
    keyed = await one_per_event(db, keyed, now=now, told=told, overtaking=overtaking)
    # What an alert shows of its item, made only for those left: most of a poll's matches
    # add their rule to another match's alert of the event, and show nothing of their own.
    views: dict[int, Shown] = {}
    for at, (alert, key) in enumerate(keyed):
        if (by := showing.get((alert.channel, key))) is not None:
            view = views.get(id(by))
            if view is None:
                view = views[id(by)] = _view(by.story, by.match, by.item, by.event)
            keyed[at] = (_showing(alert, view, by.event), key)
    ids = await rows.insert_many(db, keyed, now=now)
    queued = sum(i is not None for i in ids)
    if overtaken is not None and overtaking:
        for (alert, _), i in zip(keyed, ids, strict=True):
            spot = (alert.channel, alert.event_id or 0)
            if i is not None and spot in overtaking:
                overtaken[spot] = (i, alert.story_id or 0)
    for m, alerts in bursting:
        queued += len(await _bursts(db, m.story, m.event, alerts, now))
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
    key, alerts = _deciding(story, match, rule, event)
    view = _view(story, match, item, event)  # once for all the rule's channels
    return key, [_showing(alert, view, event) for alert in alerts]


def _deciding(
    story: Story, match: Match, rule: RuleConfig, event: Event | None
) -> tuple[str, list[Alert]]:
    """The "new" alerts of a match with what deciding one alert per event reads (rule,
    severity, words, burst condition) but nothing of the item or event yet (``_showing``);
    their key."""
    extra = burst_extra(rule)
    event_id = event.id if event is not None else None
    terms = plain_terms(match)
    alerts = [
        Alert(0, channel, "new", "", rule.name, rule.severity, story.id, terms=terms,
              extra=extra, event_id=event_id)
        for channel in dict.fromkeys(rule.channels or match.channels)
    ]  # fmt: skip
    return alert_key(story, rule, event), alerts


def _view(story: Story, match: Match, item: StoredItem | None, event: Event | None) -> Shown:
    """What the alerts of a match show of its item, and of its story's or event's outlets."""
    if event is not None:
        by_item = credited(event.outlets, event.outlet_keys, item)
        outlets = event_outlets(event, story) if by_item is None else by_item
    else:
        by_item = credited(story.outlets, story.outlet_keys, item)
        outlets = story.outlets if by_item is None else by_item
    return shown(story, outlets, item, match, item_first=by_item is not None)


def _showing(alert: Alert, view: Shown, event: Event | None) -> Alert:
    """``alert`` (of ``_deciding``, its rules and words as decided) showing ``view``, and
    ``event`` where it is an alert per event."""
    extra = alert.extra
    if event is not None:  # the event's after the burst condition, before the rules named
        rules = {"rules": extra["rules"]} if "rules" in extra else {}
        extra = {**{k: v for k, v in extra.items() if k != "rules"}, **event_extra(event), **rules}
    return Alert(
        id=alert.id,
        channel=alert.channel,
        kind=alert.kind,
        title=view.title,
        rule=alert.rule,
        severity=alert.severity,
        story_id=alert.story_id,
        url=view.url,
        outlets=view.outlets,
        terms=alert.terms,
        snippet=view.snippet,
        published=view.published,
        extra=extra,
        event_id=alert.event_id,
        undated=view.undated,
    )
