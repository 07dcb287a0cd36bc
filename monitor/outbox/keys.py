"""The keys of the outbox: one alert per (channel, key), and which of them a poll knows
are there already, so that a match of an event alerted already builds nothing."""

from __future__ import annotations

from collections.abc import Iterable
from json import JSONDecoder

from monitor.match.config import RuleConfig
from monitor.models import Event, Match, Story
from monitor.store.alerts import PENDING, SENT
from monitor.store.event_alerts import SEVERITY, rank
from monitor.store.grown import Held


def alert_key(story: Story, rule: RuleConfig, event: Event | None) -> str:
    """The outbox key of a rule's "new" alert: per event (``event``) or per story. The
    outbox holds one alert per (channel, key)."""
    return story_key(story.id, rule.name) if event is None else event_key(event.id, rule.name)


def story_key(story_id: int, rule: str) -> str:
    return f"new:{story_id}:{rule}"


def event_key(event_id: int, rule: str) -> str:
    return f"event:{event_id}:{rule}"


def event_alerted(event_id: int, severity: str) -> str:
    """Not a key of the outbox: the mark in ``known`` of an event whose "new" alert of this
    severity on the channel was sent, whatever its rule (``outbox.per_event``)."""
    return f"event:{event_id}@{severity}"


def _as_urgent(event_id: int, severity: str) -> list[str]:
    """The marks of a sent alert of the event at least as urgent as ``severity``: a match
    of a more urgent rule goes out on its own (``outbox.per_event``)."""
    least = rank(severity)
    return [event_alerted(event_id, s) for s, r in SEVERITY.items() if r >= least]


def event_burst_key(event_id: int, rule: str) -> str:
    return f"burst:event:{event_id}:{rule}"


def story_burst_key(story_id: int, rule: str | None) -> str:
    return f"burst:{story_id}:{rule}"


def known_event_alerts(alerts: Iterable[Held]) -> set[tuple[str, str]]:
    """The (channel, key) of the "new" and "burst" alerts per event among ``alerts`` (as
    ``store.grown.events_alerts`` reads them): alerts the outbox holds already."""
    keys = {"new": event_key, "burst": event_burst_key}
    known = {
        (a.channel, keys[a.kind](event_id, a.rule))
        for a in alerts
        if a.kind in keys and a.rule and (event_id := a.event_id) is not None
    }
    # Another rule's match of the event adds no message on that channel (one per event)
    # where one as urgent was sent. Not where one waits (the match is folded into it: it
    # names the rule, at the higher severity), nor where it failed or expired (the reader
    # never got it).
    known |= {
        (a.channel, event_alerted(a.event_id, a.due.alert.severity))
        for a in alerts
        if a.kind == "new" and a.status == SENT and a.event_id is not None
    }
    return known


def folded_rules(alerts: Iterable[Held]) -> set[tuple[str, str]]:
    """The (channel, key) a match would have of the rules the first pending "new" alert of
    an event on a channel names besides its own (folded into it: ``outbox.per_event``):
    read from the stored payloads without decoding them (``named_rules``)."""
    folded: set[tuple[str, str]] = set()
    seen: set[tuple[str, int]] = set()
    for a in alerts:
        if a.kind != "new" or a.status != PENDING or (event_id := a.event_id) is None:
            continue
        if (a.channel, event_id) not in seen:  # the one a match of the event is folded into
            seen.add((a.channel, event_id))
            payload = a.row[3]
            at = payload.rfind(_SEVERITY)
            severity = _VALUE(payload, at + len(_SEVERITY))[0] if at >= 0 else "normal"
            folded |= {
                (a.channel, event_key(event_id, r) + "@" + str(severity))
                for r in named_rules(payload)
            }
    return folded


# How ``store.payload``'s encoder writes the rules an alert names (``extra.rules``): a quote
# inside a string is escaped, so this is found only as that key.
_RULES = '"rules": '
_SEVERITY = '"severity": '
_VALUE = JSONDecoder().raw_decode


def named_rules(payload: str) -> list[str]:
    """The rules a stored payload names in ``extra.rules`` (none for an alert of one rule),
    read without decoding the rest of it."""
    at = payload.find(_RULES)
    if at < 0:
        return []
    rules, _ = _VALUE(payload, at + len(_RULES))
    return [r for r in rules.split(", ") if r] if isinstance(rules, str) else []


def already_queued(
    known: set[tuple[str, str]], *, story: Story, match: Match, rule: RuleConfig,
    event: Event | None,
) -> bool:  # fmt: skip
    """Whether ``on_match`` would queue nothing for this match: every (channel, key) of its
    "new" alerts is in ``known`` (the outbox has them, and keeps them as they are), and of
    its burst alerts too if the rule has a burst (per event: a burst per story is checked).
    Otherwise its "new" pairs are added to ``known``: once queued, the outbox has them.
    Most matches of a poll are of events alerted already, and building their alerts (the
    item shown, its lede, the payload) was most of their cost."""
    channels = rule.channels or match.channels
    key = alert_key(story, rule, event)
    if rule.burst is None:  # the usual rule: only its "new" pairs, tested without a set
        marks: list[str] | None = None  # made only where a pair is not known (most are)
        for channel in channels:
            if (channel, key) in known:
                continue
            if marks is None:
                marks = _as_urgent(event.id, rule.severity) if event is not None else []
            if not any((channel, m) in known for m in marks):
                known.update((c, key) for c in channels)
                return False
        return True
    pairs = {(channel, key) for channel in channels}
    if event is None:  # a burst per story: the story's outlets are counted at each match
        known |= pairs
        return False
    burst = event_burst_key(event.id, rule.name)
    if pairs | {(channel, burst) for channel in channels} <= known:
        return True
    known |= pairs
    return False


def folds_into(
    folded: set[tuple[str, str]], *, match: Match, rule: RuleConfig, event: Event | None
) -> bool:
    """Whether this match's "new" alerts are of a rule that the pending alert of its event
    names already on each of their channels (``folded_rules``): alone, they add nothing to it
    (``outbox.per_event``), and are queued only with another match of the event, whose alert
    theirs is merged with as before (``enqueue.on_matches``)."""
    if event is None or rule.burst is not None or not folded:
        return False
    key = event_key(event.id, rule.name)
    least = rank(rule.severity)
    return all(
        any((channel, f"{key}@{s}") in folded for s, r in SEVERITY.items() if r >= least)
        for channel in rule.channels or match.channels
    )


def told_by_sent(
    known: set[tuple[str, str]], *, story: Story, match: Match, rule: RuleConfig,
    event: Event | None,
) -> list[str]:  # fmt: skip
    """The channels where this match, which ``already_queued`` found nothing to queue for,
    adds nothing only because a message of its event as urgent went out (not an alert of its
    own rule): the update of that message for this growth names its rule."""
    if event is None or rule.burst is not None:
        return []
    key = alert_key(story, rule, event)
    return [c for c in rule.channels or match.channels if (c, key) not in known]
