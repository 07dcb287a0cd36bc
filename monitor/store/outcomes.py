"""What became of a story's matches: the rules that matched it and the alerts it raised, in
the ``--json`` form of ``monitor stories`` and ``monitor events`` ("why did I, or didn't I,
get an alert?")."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from monitor.plural import plural
from monitor.store.batch import in_lists
from monitor.store.db import Db

# The alerts about news; health and test alerts belong to no story.
_NEWS = "('new', 'update', 'burst')"


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat() if ts is not None else None


async def story_outcomes(db: Db, story_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Per story: ``rules`` (each rule that matched one of its items, first when) and
    ``alerts`` (each alert it raised: channel, kind, rule, status, when created and sent,
    and the last error of one not sent), oldest first."""
    found: dict[int, dict[str, Any]] = {s: {"rules": [], "alerts": []} for s in story_ids}
    for marks, params in in_lists(list(story_ids)):
        for story_id, rule, at in await db.fetch_all(
            f"SELECT story_id, rule, MIN(created_at) FROM matches WHERE story_id IN ({marks})"
            " GROUP BY story_id, rule ORDER BY 3",
            params,
        ):
            found[story_id]["rules"].append({"rule": rule, "matched_at": _iso(at)})
        for row in await db.fetch_all(
            "SELECT story_id, channel, kind, rule, status, created_at, sent_at, last_error,"
            " (SELECT COUNT(*) FROM alert_attempts t WHERE t.alert_id = alerts.id"
            "  AND t.outcome = 'sent')"
            f" FROM alerts WHERE story_id IN ({marks}) AND kind IN {_NEWS} ORDER BY id",
            params,
        ):
            story_id, channel, kind, rule, status, created, sent, error, times = row
            # times_sent: an update's row goes out once per update (a message, or an edit).
            alert = {"channel": channel, "kind": kind, "rule": rule, "status": status,
                     "created_at": _iso(created), "sent_at": _iso(sent),
                     "times_sent": int(times)}  # fmt: skip
            if error and status != "sent":
                alert["error"] = error
            found[story_id]["alerts"].append(alert)
    return found


def rule_text(rule: dict[str, Any]) -> str:
    """A rule that matched, by name: ``a``, or ``a (removed)`` for one no longer in the
    config (``removed``: a reload or restart removed or renamed it since it matched)."""
    return f"{rule['rule']} (removed)" if rule.get("removed") else str(rule["rule"])


def mark_removed(rules: Sequence[dict[str, Any]], names: Collection[str]) -> None:
    """Set ``removed`` on each rule that matched (``{"rule", "matched_at"}``): whether it is
    no longer among ``names``, the config's rules. Its matches stay: its message went out."""
    for rule in rules:
        rule["removed"] = rule["rule"] not in names


def outcome_text(rules: Sequence[dict[str, Any]], alerts: Sequence[dict[str, Any]]) -> str:
    """``matched: a, b; alerts: desk new sent 08:17, desk 6 updates sent 09:02, mail new
    pending`` ("" when no rule matched and no alert was raised)."""
    if not rules and not alerts:
        return ""
    names = ", ".join(dict.fromkeys(rule_text(r) for r in rules)) or "no rule"
    shown = []
    for a in alerts:
        at = a["sent_at"] if a["status"] == "sent" else a["created_at"]
        what = f"{a['kind']} {a['status']}"
        times = a.get("times_sent", 0)
        if a["kind"] == "update" and (times > 1 or (times and a["status"] != "sent")):
            # One row, sent once per update: each said, and the one that waits.
            what = f"{plural(times, 'update')} sent" + (
                f", 1 {a['status']}" if a["status"] != "sent" else ""
            )
        shown.append(f"{a['channel']} {what} {(at or '')[11:16]}".rstrip())
    return f"matched: {names}; " + (f"alerts: {', '.join(shown)}" if shown else "no alert")


# The alerts about the stories of events, per story or per event (``{marks}``: an
# ``in_lists`` placeholder list), through stories_event, then alerts_story.
_OF_STORIES = "FROM stories s JOIN alerts a ON a.story_id = s.id WHERE s.event_id IN ({marks})"


async def alerted_events(db: Db, event_ids: Sequence[int]) -> set[int]:
    """The events of ``event_ids`` with an alert about any of their stories."""
    found: set[int] = set()
    for marks, params in in_lists(list(event_ids)):
        rows = await db.fetch_all(
            f"SELECT DISTINCT s.event_id {_OF_STORIES.format(marks=marks)} AND a.kind IN {_NEWS}",
            params,
        )
        found |= {int(row[0]) for row in rows}
    return found


async def with_story_outcomes(db: Db, stories: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``monitor stories``' stories, each with its ``rules`` and ``alerts``; one a rule
    matched with no alert of its own says whether its event was alerted
    (``event_alerted``): the usual reason, as a rule alerts once per event."""
    outcomes = await story_outcomes(db, [s["id"] for s in stories])
    quiet = {s["event"] for s in stories if s.get("event") is not None}
    alerted = await alerted_events(db, sorted(quiet)) if quiet else set()
    for story in stories:
        story.update(outcomes[story["id"]])
        if story.get("event") is not None:
            story["event_alerted"] = story["event"] in alerted
    return stories


async def with_event_outcomes(db: Db, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``monitor events``' events, each with the ``rules`` and ``alerts`` of its stories
    (each story with its own ``rules``)."""
    ids = [s["id"] for e in events for s in e["stories"]]
    outcomes = await story_outcomes(db, ids)
    for event in events:
        rules: dict[str, dict[str, Any]] = {}
        event["alerts"] = []
        for story in event["stories"]:
            story["rules"] = outcomes[story["id"]]["rules"]
            for r in story["rules"]:
                rules.setdefault(r["rule"], r)
            event["alerts"] += outcomes[story["id"]]["alerts"]
        event["rules"] = list(rules.values())
    return events
