"""An alert's payload: the JSON of ``models.Alert`` stored in ``alerts.payload``, and what the
growth of its story or event (``alert_growth``, kept by ``store.growth``) adds to it when it
is read to be sent."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from monitor.models import Alert, fields_of
from monitor.store.db import Row

# One encoder for every payload: ``json.dumps`` with options builds a new one at each call.
ENCODE = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def dump_payload(alert: Alert) -> str:
    """An Alert as stored: everything but its id and channel, which are columns."""
    data = fields_of(alert)
    del data["id"], data["channel"]
    data["published"] = alert.published.isoformat() if alert.published else None
    if not alert.undated:  # written only where it is so: the payloads of dated items as before
        del data["undated"]
    return ENCODE(data)


def load_alert(row: Row | Sequence[Any]) -> Alert:
    """The Alert of a row selected with ``ALERT_COLUMNS`` (id, channel, kind, payload)."""
    data = json.loads(row[3])
    published = data.get("published")
    return Alert(
        id=int(row[0]),
        channel=str(row[1]),
        kind=str(row[2]),
        title=data.get("title", ""),
        rule=data.get("rule"),
        severity=data.get("severity", "normal"),
        story_id=data.get("story_id"),
        url=data.get("url"),
        outlets=tuple(data.get("outlets", ())),
        terms=tuple(data.get("terms", ())),
        snippet=data.get("snippet", ""),
        published=datetime.fromisoformat(published) if published else None,
        extra=dict(data.get("extra", {})),
        event_id=data.get("event_id"),
        undated=bool(data.get("undated", False)),
    )


def first_kept(first: tuple[str, ...], outlets: Sequence[str]) -> tuple[str, ...]:
    """All ``outlets``, the one whose headline the alert shows (``first``) kept first."""
    return first + tuple(o for o in outlets if o not in first)


def grown(alert: Alert, outlets: Sequence[str], told: dict[str, str]) -> Alert:
    """``alert`` as its story or event now is: carried by ``outlets`` (its own first outlet
    kept first), and telling ``told`` (an event's angles, newest headline and title)."""
    return replace(
        alert, outlets=first_kept(alert.outlets[:1], outlets), extra={**alert.extra, **told}
    )


def folded(alert: Alert, payload: str, outlets: str | None, told: str | None) -> tuple[Alert, str]:
    """An alert read with its payload and, when its story or event grew since it was queued,
    that growth's row (``alert_growth.outlets`` and ``.told``, JSON): the alert as it goes
    out, and its payload as it would be stored."""
    if outlets is None:
        return alert, payload
    fresh = grown(alert, json.loads(outlets), json.loads(told) if told else {})
    if fresh.outlets == alert.outlets and fresh.extra == alert.extra:
        return alert, payload
    return fresh, dump_payload(fresh)
