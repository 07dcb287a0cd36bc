"""Console: alerts printed readably on stdout (``monitor demo``, ``monitor once --dry-run``)."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Sequence
from typing import ClassVar

from monitor.channels import Channel
from monitor.channels.config import ConsoleChannelConfig
from monitor.channels.render import (
    alert_outlets_line,
    burst_line,
    clip,
    event_line,
    heading,
    published_line,
    rule_names,
    safe_url,
)
from monitor.channels.updates import follows_line, from_line, headline, shows_lede
from monitor.models import Alert

WIDTH = 78
_MARKS = {"new": "●", "burst": "▲", "update": "↻", "health": "!", "test": "✓"}


def render(alert: Alert, channel: str = "") -> str:
    """One alert as a small block of text, headline first."""
    mark = _MARKS.get(alert.kind, "●")
    # A chat message is edited in place and keeps its heading; the console only appends,
    # so an update says what it is: an event's (alert_on = "event") or a story's.
    grows = "EVENT GROWS" if alert.event_id is not None else "STORY GROWS"
    label = grows if alert.kind == "update" else heading(alert).upper()
    rules = rule_names(alert)  # every rule the message names, as the other channels do
    meta = " · ".join(p for p in (rules, alert.severity if rules else "", channel) if p)
    top = f"{mark} {label}" + (f"  [{meta}]" if meta else "")
    lines = [
        top,
        *textwrap.wrap(headline(alert), WIDTH - 2, initial_indent="  ", subsequent_indent="  "),
    ]
    # An event's update leads with its newest angle: its outlet, and what it follows.
    for said in (from_line(alert), follows_line(alert)):
        lines += textwrap.wrap(said, WIDTH - 2, initial_indent="  ", subsequent_indent="    ")
    if published_line(alert) and not follows_line(alert):
        lines.append(f"  {published_line(alert)}")
    if alert.kind == "burst" or alert.extra.get("of_kind") == "burst":
        lines.append(f"  {burst_line(alert)}")
    if alert.outlets:
        lines.append(f"  outlets: {alert_outlets_line(alert)} ({len(alert.outlets)} in all)")
    if event_line(alert):  # an event's new angle: what its update is about
        lines += textwrap.wrap(
            event_line(alert), WIDTH - 2, initial_indent="  ", subsequent_indent="    "
        )
    if alert.terms:
        lines.append(f"  matched: {', '.join(alert.terms)}")
    if shows_lede(alert):
        snippet = clip(alert.snippet, 300)
        lines += textwrap.wrap(
            f"“{snippet}”", WIDTH - 2, initial_indent="  ", subsequent_indent="   "
        )
    if "message" in alert.extra:
        lines += textwrap.wrap(
            alert.extra["message"], WIDTH - 2, initial_indent="  ", subsequent_indent="  "
        )
    url = safe_url(alert.url)
    if url:
        lines.append(f"  {url}")
    return "\n".join(lines) + "\n"


class ConsoleChannel(Channel):
    type: ClassVar[str] = "console"
    # Updates are printed as a line of their own: on a terminal that is the "edit".
    can_edit: ClassVar[bool] = True

    def __init__(self, name: str, config: ConsoleChannelConfig) -> None:
        super().__init__(name, config)

    async def _send(self, alert: Alert) -> str | None:
        self._print(render(alert, self.name))
        return f"console:{alert.id}"

    async def _send_digest(self, alerts: Sequence[Alert]) -> str | None:
        head = f"━━ {len(alerts)} alerts ━━\n"
        self._print(head + "\n".join(render(a, self.name) for a in alerts))
        return None

    async def _edit(self, alert: Alert, external_id: str) -> str | None:
        self._print(render(alert, self.name))
        return None

    @staticmethod
    def _print(text: str) -> None:
        # sys.stdout looked up at call time, so a redirected stdout (tests, demo) is honoured.
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
