"""One "new" alert per event and channel (per story, for rules that alert per story): two
rules that match one event (a keyword rule and an entity rule on the same person) send one
message naming both, not one each that is then edited on its own as the event grows."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from monitor.models import Alert
from monitor.store import event_alerts
from monitor.store.db import Db
from monitor.store.event_alerts import Holding, rank


async def one_per_event(
    db: Db,
    keyed: Sequence[tuple[Alert, str]],
    *,
    now: float,
    told: Mapping[tuple[str, int], Sequence[str]] | None = None,
    overtaking: set[tuple[str, int]] | None = None,
) -> list[tuple[Alert, str]]:
    """``keyed`` (a poll's "new" alerts and their keys) with one alert per event and channel
    (per story, for rules that alert per story): the first of a poll names the other rules
    that matched it too (``rules``). Where the channel holds an alert of the event (story)
    from an earlier poll, none is left: one that waits names the new rule too, at the higher
    severity; one sent is updated as the event grows. Only an alert more urgent than the one
    sent goes out on its own: a quiet-hours override must not wait for an update; it also
    names the rules of ``told`` (by channel and event: the rules of this poll's matches of
    the event that queued nothing of their own), and its (channel, event) is added to
    ``overtaking``: the update of the sent message waits for it (``outbox.told``)."""
    out: list[tuple[Alert, str]] = []
    first: dict[tuple[str, str, int], int] = {}  # (channel, of, id) -> its place in out
    others: dict[int, list[Alert]] = {}  # a place in out -> the alerts of other rules there
    for alert, key in keyed:
        place = _place(alert, key)
        if place is None:
            out.append((alert, key))
            continue
        at = first.get(place)
        if at is None:
            first[place] = len(out)
            out.append((alert, key))
        elif alert.rule != out[at][0].rule:
            others.setdefault(at, []).append(alert)
    for at, named in others.items():
        out[at] = (_naming(out[at][0], *named), out[at][1])
    if not first:
        return out
    events = [(c, i) for c, of, i in first if of == "event"]
    stories = [(c, i) for c, of, i in first if of == "story"]
    held: dict[tuple[str, str, int], Holding] = {}
    if events:
        found = await event_alerts.alerted(db, events)
        held |= {(c, "event", i): h for (c, i), h in found.items()}
    if stories:
        found = await event_alerts.story_alerted(db, stories)
        held |= {(c, "story", i): h for (c, i), h in found.items()}
    kept: list[tuple[Alert, str]] = []
    for alert, key in out:
        holding = held.get(_place(alert, key) or ("", "", 0))
        if holding is None:
            kept.append((alert, key))
        elif await _goes_out(db, alert, holding, now):
            if holding.sent is not None and alert.event_id is not None:
                spot = (alert.channel, alert.event_id)
                alert = _naming_rules(alert, (told or {}).get(spot, ()))
                if overtaking is not None:
                    overtaking.add(spot)
            kept.append((alert, key))
    return kept


async def _goes_out(db: Db, alert: Alert, holding: Holding, now: float) -> bool:
    """Whether ``alert`` goes out on its own, where its channel holds ``holding``: folded
    into the alert that waits, if any; else only if more urgent than every one sent."""
    sent = holding.sent
    if holding.pending is not None:
        held = holding.pending
        if _named(held, alert) and rank(alert.severity) <= rank(held.severity):
            return False  # nothing to add: the same rule's match again, mostly
        folded = _naming(held, alert)
        raised = rank(folded.severity) > rank(held.severity)
        if await event_alerts.fold(db, folded, raised=raised, now=now):
            return False
        # Sent meanwhile (another node's sender): as sent. Failed or expired meanwhile: the
        # reader got nothing, and the event is free for this match.
        if await event_alerts.was_sent(db, held.id):
            sent = max(sent or "low", held.severity, key=rank)
    return sent is None or rank(alert.severity) > rank(sent)


def _place(alert: Alert, key: str) -> tuple[str, str, int] | None:
    """What one message per channel is of: the alert's event, else its story (a "new:" key)."""
    if alert.event_id is not None:
        return (alert.channel, "event", alert.event_id)
    if alert.story_id is not None and key.startswith("new:"):
        return (alert.channel, "story", alert.story_id)
    return None


def rules_of(alert: Alert) -> list[str]:
    """The rules ``alert`` names: ``extra.rules`` where several matched, else its rule."""
    return [r for r in alert.extra.get("rules", alert.rule or "").split(", ") if r]


def still_named(alert: Alert, rules: Collection[str]) -> Alert:
    """``alert`` naming only the rules of ``rules`` (the config's now): a rule a reload
    removed or renamed is not named in a message sent or edited after it (the message sent
    before stays as it was). One whose rules are all gone is left as it is, as
    ``follow_rules`` leaves it (a waiting message whose rules are all removed is still sent)."""
    named = rules_of(alert)
    kept = [r for r in named if r in rules]
    if not kept or kept == named:
        return alert
    extra = {k: v for k, v in alert.extra.items() if k != "rules"}
    if len(kept) > 1:
        extra["rules"] = ", ".join(kept)
    return replace(alert, rule=alert.rule if alert.rule in kept else kept[0], extra=extra)


def _named(alert: Alert, other: Alert) -> bool:
    """Whether ``alert`` names every rule ``other`` does."""
    return set(rules_of(other)) <= set(rules_of(alert))


def _naming_rules(alert: Alert, others: Sequence[str]) -> Alert:
    """``alert`` naming the rules ``others`` too (less urgent ones: its severity stays)."""
    rules = rules_of(alert)
    added = [r for r in dict.fromkeys(others) if r not in rules]
    if not added:
        return alert
    return replace(alert, extra={**alert.extra, "rules": ", ".join([*rules, *added])})


def _naming(alert: Alert, *others: Alert) -> Alert:
    """``alert`` naming ``others``' rules and words too, at the highest of their severities."""
    rules = rules_of(alert)
    terms = dict.fromkeys(alert.terms)
    severity = alert.severity
    for other in others:
        for rule in rules_of(other):
            if rule not in rules:
                rules.append(rule)
        terms.update(dict.fromkeys(other.terms))
        severity = max(severity, other.severity, key=rank)
    return replace(
        alert,
        severity=severity,
        terms=tuple(terms),
        extra={**alert.extra, "rules": ", ".join(rules)},
    )


async def follow_rules(db: Db, severities: Mapping[str, str], *, now: float) -> int:
    """After a reload that changed the rules (``severities``: each rule's, by name): a
    pending alert naming several rules names only those still there, at the highest of
    their severities now; a rule removed or made less urgent no longer speaks in it (one
    made more urgent makes it due ``now``, as a fold does). An update that waits names only
    those still there too (its severity and due time stay: the message it edits or follows
    was decided by them). One whose rules are all gone is left as it is, as an alert of one
    removed rule is. How many were rewritten."""
    count = 0
    for alert, stored in await event_alerts.naming_several(db):
        named = rules_of(alert)
        kept = [r for r in named if r in severities]
        if not kept:
            continue
        if alert.kind == "update":
            severity = alert.severity
        else:
            severity = max((severities[r] for r in kept), key=rank)
        if kept == named and severity == alert.severity:
            continue
        extra = {k: v for k, v in alert.extra.items() if k != "rules"}
        if len(kept) > 1:
            extra["rules"] = ", ".join(kept)
        rule = alert.rule if alert.rule in kept else kept[0]
        fresh = replace(alert, rule=rule, severity=severity, extra=extra)
        due = now if rank(severity) > rank(alert.severity) else None
        count += await event_alerts.rewrite(db, fresh, stored, due=due)
    return count
