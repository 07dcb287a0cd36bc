"""How a match explains itself: the rule, the terms that fired, where, and a snippet."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from monitor.models import Match


def format_match(m: Match) -> str:
    """One line for the rule, one for the terms (with the text they found and where)."""
    found = ", ".join(
        f"{h.term} = {h.text!r} ({h.field} {h.start}-{h.end})" for h in _first_per_term(m)
    )
    return f"{m.rule} [{m.severity}]: {found}\n    {m.snippet}"


def match_to_json(m: Match) -> dict[str, Any]:
    return {
        "rule": m.rule,
        "severity": m.severity,
        "channels": list(m.channels),
        "terms": m.terms,
        "hits": [asdict(h) for h in m.hits],
        "snippet": m.snippet,
    }


def _first_per_term(m: Match) -> list[Any]:
    seen: dict[str, Any] = {}
    for hit in m.hits:
        seen.setdefault(hit.term, hit)
    return list(seen.values())
