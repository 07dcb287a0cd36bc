"""How a match explains itself: the rule, the terms that fired, where, and a snippet."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from monitor.models import Match, TermHit

SNIPPET = 160  # characters of context around the first hit: a line in a chat or a mail


def snippet(text: str, start: int, end: int, size: int = SNIPPET) -> str:
    """About ``size`` characters of ``text`` around ``start:end``, cut at spaces, on one line."""
    lo = max(0, min(start - size // 3, len(text) - size))
    hi = min(len(text), lo + size)
    if lo > 0:  # do not start in the middle of a word
        space = text.find(" ", lo, start)
        lo = space + 1 if space >= 0 else lo
    if hi < len(text):
        space = text.rfind(" ", end, hi)
        hi = space if space > end else hi
    body = " ".join(text[lo:hi].split())
    return ("…" if lo > 0 else "") + body + ("…" if hi < len(text) else "")


def format_match(m: Match) -> str:
    """One line for the rule and the terms (the text each found, where), then the snippet."""
    found = ", ".join(
        f"{h.term} = {h.text!r} ({h.field} {h.start}-{h.end})" for h in _first_per_term(m)
    )
    return f"{m.rule} [{m.severity}]: {found}\n    {m.snippet}"


def match_to_json(m: Match) -> dict[str, Any]:
    """The match as ``monitor test-rules --json`` prints it."""
    return {
        "rule": m.rule,
        "severity": m.severity,
        "channels": list(m.channels),
        "terms": m.terms,
        "hits": [asdict(h) for h in m.hits],
        "snippet": m.snippet,
    }


def _first_per_term(m: Match) -> list[TermHit]:
    seen: dict[str, TermHit] = {}
    for hit in m.hits:
        seen.setdefault(hit.term, hit)
    return list(seen.values())
