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

# A match and its hits are made as ``object.__new__`` and then the dataclass's ``__init__``,
# called from here, rather than by calling the class: a class call runs ``__init__`` from C,
# in an interpreter frame of its own, where a call from Python code is a Python call. One
# match per rule that fires and one hit per term found, for every item.
_new = object.__new__
_hit = TermHit.__init__
_match = Match.__init__


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
        hit = _new(TermHit)
        _hit(hit, label, field.text[lo:hi], field.field, lo, hi)
        hits.append(hit)
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
    match = _new(Match)
    _match(
        match,
        rule=config.name,
        severity=config.severity,
        channels=tuple(config.channels),
        hits=tuple(hits),
        snippet=made,
    )
    return match


def snippet(text: str, start: int, end: int, size: int = SNIPPET) -> str:
    """About ``size`` characters of ``text`` around ``start:end``, cut at spaces, on one line."""
    length = len(text)
    if length <= size:  # a headline (most first hits): all of it, cut nowhere
        lo, hi = 0, length
    else:  # min() and max() as comparisons: this runs for most matches
        lo = start - size // 3
        if lo > length - size:
            lo = length - size
        if lo > 0:  # do not start in the middle of a word
            hi = lo + size
            space = text.find(" ", lo, start)
            if space >= 0:
                lo = space + 1
        else:
            lo, hi = 0, size
        if hi < length:
            space = text.rfind(" ", end, hi)
            if space > end:
                hi = space
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
