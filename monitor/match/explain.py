"""How a match explains itself: the rule, the terms that fired, where, and a snippet."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from functools import partial
from typing import Any, NamedTuple

from monitor.match.compiled import CompiledRule, Found
from monitor.match.text import original_span
from monitor.models import Match, TermHit

SNIPPET = 160  # characters of context around the first hit: a line in a chat or a mail


class Where(NamedTuple):
    """A field of the item: its original text, the offset map of its folding (None: the
    same offsets), and where it starts in the folded item text."""

    text: str
    offsets: list[int] | None
    base: int
    field: str  # title | summary


# Two per matched item: from a tuple in C rather than through the NamedTuple's Python __new__.
where: Callable[[tuple[str, list[int] | None, int, str]], Where] = partial(tuple.__new__, Where)


def explain(
    rule: CompiledRule,
    labels: Sequence[str],
    found: Found,
    where: tuple[Where, Where],
    snippets: dict[tuple[int, int], str] | None = None,
) -> Match:
    """The match as the user sees it: each term's hits in the original text, a snippet.

    ``snippets``: the snippets made for the item's other matches so far, by their first hit
    in the folded text; several rules of one item mostly fire on the same first word.
    """
    title, summary = where
    spans: list[tuple[int, int, int, str]] = []
    for term_id in rule.terms:
        at = found.get(term_id)
        if at is not None:
            label = labels[term_id]
            for start, end in at.items():
                spans.append((start, -end, term_id, label))
    if len(spans) > 1:
        spans.sort()
    hits: list[TermHit] = []
    covered: dict[int, int] = {}  # term id -> end of its last hit kept
    summary_base = summary.base
    for start, neg_end, term_id, label in spans:
        end = -neg_end
        if covered.get(term_id, -1) >= end:
            continue  # inside a longer hit of the same term: "Zelensky" in "V. Zelensky"
        covered[term_id] = end
        field = summary if start >= summary_base else title
        base = field.base
        if field.offsets is None:  # original_span's usual case, inline: once per hit
            lo, hi = start - base, end - base
        else:
            lo, hi = original_span(field.offsets, start - base, end - base)
        hits.append(TermHit(label, field.text[lo:hi], field.field, lo, hi))
    first = hits[0]
    made = None
    if snippets is not None:
        first_span = (spans[0][0], -spans[0][1])  # the first hit kept is the first span
        made = snippets.get(first_span)
    if made is None:
        source = title.text if first.field == "title" else summary.text
        made = snippet(source, first.start, first.end)
        if snippets is not None:
            snippets[first_span] = made
    config = rule.config
    return Match(
        rule=config.name,
        severity=config.severity,
        channels=tuple(config.channels),
        hits=tuple(hits),
        snippet=made,
    )


def snippet(text: str, start: int, end: int, size: int = SNIPPET) -> str:
    """About ``size`` characters of ``text`` around ``start:end``, cut at spaces, on one line."""
    length = len(text)
    if length <= size:  # a headline (most first hits): all of it, cut nowhere
        lo, hi = 0, length
    else:
        lo = max(0, min(start - size // 3, length - size))
        hi = min(length, lo + size)
        if lo > 0:  # do not start in the middle of a word
            space = text.find(" ", lo, start)
            lo = space + 1 if space >= 0 else lo
        if hi < length:
            space = text.rfind(" ", end, hi)
            hi = space if space > end else hi
    body = text[lo:hi]
    # Normalized text is one line with single spaces already (no other whitespace is
    # printable): the split and join are for the rest.
    if not body.isprintable() or "  " in body or body[:1] == " " or body[-1:] == " ":
        body = " ".join(body.split())
    if lo == 0 and hi == length:
        return body
    return ("…" if lo > 0 else "") + body + ("…" if hi < length else "")


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
