"""One "new" alert per event and channel: two rules that match one event (a keyword rule
and an entity rule on the same person) send one message naming both, not one each that is
then edited on its own as the event grows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from monitor.models import Alert
from monitor.store import event_alerts
from monitor.store.db import Db

_SEVERITY = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


async def one_per_event(db: Db, keyed: Sequence[tuple[Alert, str]]) -> list[tuple[Alert, str]]:
    """``keyed`` (a poll's "new" alerts and their keys) with one alert per event and channel:
    the first of a poll names the other rules that matched the event too (``rules``), and
    none is left where the channel holds an alert of the event from an earlier poll (its
    growth updates that one). Alerts per story pass as they are."""
    out: list[tuple[Alert, str]] = []
    first: dict[tuple[str, int], int] = {}  # (channel, event) -> its alert's place in out
    for alert, key in keyed:
        if alert.event_id is None:
            out.append((alert, key))
            continue
        place = (alert.channel, alert.event_id)
        at = first.get(place)
        if at is None:
            first[place] = len(out)
            out.append((alert, key))
        elif alert.rule != out[at][0].rule:
            out[at] = (_naming(out[at][0], alert), out[at][1])
    if not first:
        return out
    taken = await event_alerts.alerted(db, list(first))
    return [(a, k) for a, k in out if a.event_id is None or (a.channel, a.event_id) not in taken]


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
