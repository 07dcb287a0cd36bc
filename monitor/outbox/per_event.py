"""One "new" alert per event and channel (per story, for rules that alert per story): two
rules that match one event (a keyword rule and an entity rule on the same person) send one
message naming both, not one each that is then edited on its own as the event grows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from monitor.models import Alert
from monitor.store import event_alerts
from monitor.store.db import Db

_SEVERITY = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


async def one_per_event(db: Db, keyed: Sequence[tuple[Alert, str]]) -> list[tuple[Alert, str]]:
    """``keyed`` (a poll's "new" alerts and their keys) with one alert per event and channel
    (per story, for rules that alert per story): the first of a poll names the other rules
    that matched it too (``rules``), and none is left where the channel holds an alert of
    the event (story) from an earlier poll: its growth updates that one."""
    out: list[tuple[Alert, str]] = []
    first: dict[tuple[str, str, int], int] = {}  # (channel, of, id) -> its place in out
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
            out[at] = (_naming(out[at][0], alert), out[at][1])
    if not first:
        return out
    events = [(c, i) for c, of, i in first if of == "event"]
    stories = [(c, i) for c, of, i in first if of == "story"]
    taken = (
        {(c, "event", i) for c, i in await event_alerts.alerted(db, events)} if events else set()
    )
    if stories:
        taken |= {(c, "story", i) for c, i in await event_alerts.story_alerted(db, stories)}
    return [(a, k) for a, k in out if _place(a, k) not in taken]


def _place(alert: Alert, key: str) -> tuple[str, str, int] | None:
    """What one message per channel is of: the alert's event, else its story (a "new:" key)."""
    if alert.event_id is not None:
        return (alert.channel, "event", alert.event_id)
    if alert.story_id is not None and key.startswith("new:"):
        return (alert.channel, "story", alert.story_id)
    return None


def _naming(alert: Alert, other: Alert) -> Alert:
    """``alert`` naming ``other``'s rule and words too, at the higher of their severities."""
    rules = alert.extra.get("rules", alert.rule or "").split(", ")
    if other.rule and other.rule not in rules:
        rules.append(other.rule)
    severity = max(alert.severity, other.severity, key=lambda s: _SEVERITY.get(s, 1))
    return replace(
        alert,
        severity=severity,
        terms=tuple(dict.fromkeys((*alert.terms, *other.terms))),
        extra={**alert.extra, "rules": ", ".join(r for r in rules if r)},
    )
