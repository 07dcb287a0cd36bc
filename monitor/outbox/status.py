"""outbox.status: what ``monitor status`` says of the outbox."""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from monitor.channels.config import SEVERITY_ORDER, DeliveryConfig
from monitor.channels.policy import quiet_until
from monitor.configtypes import format_duration
from monitor.plural import plural
from monitor.store import alerts as rows
from monitor.store import report
from monitor.store.db import Db
from monitor.store.waiting import pending_by_channel, pending_severities


async def orphaned(db: Db, channels: Collection[str]) -> dict[str, int]:
    """Pending alerts of channels that are no longer configured: kept, not delivered."""
    counts = await report.counts(db)
    return {
        name: by_status[rows.PENDING]
        for name, by_status in sorted(counts.items())
        if name not in channels and by_status.get(rows.PENDING)
    }


def orphaned_message(channel: str, count: int) -> str:
    return (
        f"{count} alert(s) wait for channel {channel!r}, which is no longer in the config: "
        "they are kept, and sent if a channel of that name comes back"
    )


async def outbox_status(db: Db, channels: Collection[str] | None = None) -> dict[str, Any]:
    """For ``monitor status``: alerts by channel and status, those given up with why, and
    (given the configured ``channels``) the pending alerts no configured channel delivers."""
    counts = await report.counts(db)
    sent = await report.sends(db)
    # One count of what was sent, the messages the reader got (rows: an update's counts once).
    for channel, went in sent.items():
        counts.setdefault(channel, {})[rows.SENT] = went["messages"]
    pending = sum(c.get(rows.PENDING, 0) for c in counts.values())
    oldest = await report.oldest_pending(db)
    return {
        "pending": pending,
        # Held back by the alert-storm guard, each counted in a summary alert that was sent.
        "folded": sum(c.get(rows.FOLDED, 0) for c in counts.values()),
        "oldest_pending_age": round(time.time() - oldest, 1) if oldest else None,
        "by_channel": counts,
        # What went out, as the reader got it: each update, a digest once (report.sends).
        "sent": sent,
        "failed": await report.given_up(db),
        # Pending, waiting for a channel's config to be fixed: {channel: {count, error}}.
        "held": {c: {"count": n, "error": e} for c, (n, e) in (await rows.held(db)).items()},
        "orphaned": {} if channels is None else await orphaned(db, channels),
        # Why the pending alerts of each configured channel wait: {channel: {...}}.
        "waiting": {} if not isinstance(channels, Mapping) else await waiting(db, channels),
    }


async def waiting(db: Db, channels: Mapping[str, DeliveryConfig]) -> dict[str, dict[str, Any]]:
    """Per configured channel with pending alerts: how many, and why they wait: quiet hours
    (until when, in the channel's zone), the next due time, retries after an error, updates
    that wait out ``update_delay``."""
    now = time.time()
    found: dict[str, dict[str, Any]] = {}
    severities = await pending_severities(db)
    for channel, pending in sorted((await pending_by_channel(db, now)).items()):
        config = channels.get(channel)
        if config is None:  # no longer configured: said by "orphaned"
            continue
        # Quiet hours hold only the alerts below quiet_override; the others go through.
        override = SEVERITY_ORDER[config.quiet_override]
        held = sum(
            n for s, n in severities.get(channel, {}).items() if SEVERITY_ORDER.get(s, 1) < override
        )
        quiet = quiet_until(config, now, "low") if held else None
        zone = ZoneInfo(config.timezone)
        due = pending.next_due if pending.next_due > now else None
        found[channel] = {
            "pending": pending.alerts,
            "quiet_until": _local(quiet, zone) if quiet else None,
            "quiet_held": held if quiet else 0,
            "quiet_override": config.quiet_override,
            "next_due": _local(due, zone) if due else None,
            # Held by a policy besides quiet hours now: a digest's window, the storm guard,
            # or the config of when they were held (a start or a reload decides again).
            "held": max(0, pending.held - (held if quiet else 0)),
            "held_until": _local(pending.held_until, zone) if pending.held else None,
            # Within a digest's window of now: gathered for it; else the old config's.
            "digest": config.digest if pending.held_until - now <= config.digest else 0,
            "retrying": pending.retrying,
            "last_error": pending.last_error if pending.retrying else None,
            "updates": pending.updates,
            "update_delay": config.update_delay,
            "update_max": longest_update_wait(config),
            "timezone": config.timezone,
        }
    return found


def longest_update_wait(config: DeliveryConfig) -> float | None:
    """An update mailed or posted as a message of its own waits longer as its event keeps
    growing (``outbox.pace``), up to ``update_max``; None where updates wait ``update_delay``
    (an edit: Telegram, the console; or a steady pace configured)."""
    own_message = getattr(config, "type", "") in ("email", "webhook")
    if own_message and config.update_max > config.update_delay > 0:
        return config.update_max
    return None


def _local(ts: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(ts, zone).isoformat(timespec="minutes")


def waiting_line(channel: str, wait: Mapping[str, Any]) -> str:
    """``WAITING desk: 3 pending, held by quiet hours until 07:00 (Europe/Berlin) ...``; ""
    when the alerts are due now."""
    parts = waiting_reasons(wait)
    if not parts:  # due now: nothing to explain
        return ""
    return f"WAITING {channel}: {wait['pending']} pending, " + "; ".join(parts)


def waiting_reasons(wait: Mapping[str, Any]) -> list[str]:
    """Why the pending alerts of one channel (``waiting``'s entry) wait: none when due now."""
    parts: list[str] = []
    zone = wait["timezone"]
    if wait["quiet_until"]:
        held = wait.get("quiet_held", wait["pending"])
        some = "" if held == wait["pending"] else f"{held} "
        parts.append(
            f"{some}held by quiet hours until {_clock(wait['quiet_until'])} ({zone}); severity "
            f"{wait['quiet_override']} and above goes through"
        )
    if wait["retrying"]:
        parts.append(f"{wait['retrying']} to retry after an error: {wait['last_error']}")
    if wait["updates"]:
        delay = format_duration(wait["update_delay"])
        longer = ""
        if wait.get("update_max"):
            most = format_duration(wait["update_max"])
            longer = f", longer while their event keeps growing (up to update_max, {most})"
        parts.append(f"{wait['updates']} update(s) wait out update_delay ({delay}){longer}")
    if wait.get("held", 0) > 0 and wait.get("held_until"):
        until = _clock(wait["held_until"])
        if wait.get("digest"):
            why = f"gathered for a digest ({format_duration(wait['digest'])}) until {until}"
        else:
            why = (
                f"held until {until} by the channel's policy when queued (quiet hours, a "
                "digest, the storm guard); the next start, `monitor once` or reload decides "
                "again under the config in force (a storm summary still waits for its minute's "
                "end)"
            )
        parts.append(f"{wait['held']} {why}")
    if wait["next_due"] and not wait["quiet_until"] and not wait.get("held"):
        parts.append(f"next due at {_clock(wait['next_due'])} ({zone})")
    return parts


async def left_waiting(db: Db, channels: Mapping[str, DeliveryConfig]) -> list[str]:
    """What ``monitor once`` says of the alerts it leaves in the outbox on purpose, one line
    a channel, as ``monitor status`` says it: ``desk: 1 alert pending, held by quiet hours
    until 07:00 (UTC); ...``."""
    lines = []
    for channel, wait in (await waiting(db, channels)).items():
        parts = waiting_reasons(wait)
        if parts:
            n = wait["pending"]
            lines.append(f"{channel}: {plural(n, 'alert')} pending, " + "; ".join(parts))
    return lines


def _clock(iso: str) -> str:
    """``07:00``, or ``7 Dec 07:00`` when not today in that zone."""
    at = datetime.fromisoformat(iso)
    today = datetime.now(at.tzinfo).date()
    return f"{at:%H:%M}" if at.date() == today else f"{at.day} {at:%b %H:%M}"


def sent_text(sent: Mapping[str, int]) -> str:
    """``3 sent (1 alert, 2 updates)``: each message the reader got, an update each time, a
    digest once (``1 sent (1 digest of 3 alerts)``)."""
    alerts, updates = sent.get("alerts", 0), sent.get("updates", 0)
    digests, digested = sent.get("digests", 0), sent.get("digested", 0)
    if not updates and not digests:
        return f"{alerts} sent"
    parts = [plural(alerts, "alert")] if alerts else []
    parts += [plural(updates, "update")] if updates else []
    if digests:
        parts.append(f"{plural(digests, 'digest')} of {plural(digested, 'alert')}")
    return f"{alerts + updates + digests} sent ({', '.join(parts)})"


def render_status(report: Mapping[str, Any]) -> list[str]:
    """``outbox_status`` as lines for ``monitor status``: depth per channel, then each alert
    given up with its error."""
    lines = [f"Outbox: {report['pending']} pending"]
    if report.get("folded"):
        lines[0] += f", {report['folded']:,} folded into alert-storm summaries"
    for channel, by_status in sorted(report["by_channel"].items()):
        said = {status: f"{n} {status}" for status, n in by_status.items()}
        if report.get("sent", {}).get(channel):  # an update pending again was sent before
            said[rows.SENT] = sent_text(report["sent"][channel])
        counts = ", ".join(text for _, text in sorted(said.items()))
        lines.append(f"  {channel}: {counts}")
    for channel, count in report.get("orphaned", {}).items():
        lines.append(f"  WARNING {orphaned_message(channel, count)}")
    for channel, wait in report.get("waiting", {}).items():
        if waiting_line(channel, wait):
            lines.append(f"  {waiting_line(channel, wait)}")
    for channel, held in report.get("held", {}).items():
        lines.append(
            f"  HELD {channel}: {held['count']} alert(s) wait until the config is fixed "
            f"(then reload; a secret read from the environment needs a restart): {held['error']}"
        )
    for failed in report["failed"]:
        lines.append(
            f"  {failed['status'].upper()} #{failed['id']} {failed['channel']} "
            f"({failed['kind']}, {failed['attempts']} attempts) {failed['title'][:60]!r}: "
            f"{failed['last_error']}"
        )
    return lines
