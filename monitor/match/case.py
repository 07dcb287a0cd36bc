"""Letter case, for the words a rule writes with capitals ("US", "May", "Fed").

The automaton finds words case-blind (``text.fold``). A word written with capitals has a
literal of its own, made after the scan from the hits of its case-blind literal: a hit
counts where the original text has a capital at each place the word has one. A field written
wholly in capitals ("US STOCKS FALL") carries no case, and every hit there counts. Only
items with a hit of such a word pay for the check.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.match.compiled import Hits
from monitor.match.text import original_span

# Case-blind literal id -> each cased literal made from its hits, with the offsets of the
# capitals in its word as written.
Cased = dict[int, list[tuple[int, tuple[int, ...]]]]


def recase(
    hits: Hits,
    cased: Cased,
    title: str,
    title_offsets: list[int] | None,
    summary: str,
    summary_offsets: list[int] | None,
    title_end: int,
) -> None:
    """Add to ``hits`` those of the cased literals, from the hits of their case-blind
    literals (offsets in the folded item text: title, NUL, summary)."""
    shouting: dict[int, bool] = {}
    for parent in cased.keys() & hits.keys():
        spans = hits[parent]
        for literal, capitals in cased[parent]:
            kept = {
                start: end
                for start, end in spans.items()
                if _has_capitals(
                    start,
                    end,
                    capitals,
                    (title, title_offsets, 0)
                    if start < title_end
                    else (summary, summary_offsets, title_end + 1),
                    shouting,
                )
            }
            if kept:
                hits[literal] = kept


def _has_capitals(
    start: int,
    end: int,
    capitals: Sequence[int],
    field: tuple[str, list[int] | None, int],
    shouting: dict[int, bool],
) -> bool:
    text, offsets, base = field
    loud = shouting.get(base)
    if loud is None:
        loud = shouting[base] = text.isupper()
    if loud:
        return True
    lo, hi = original_span(offsets, start - base, end - base)
    return capitals[-1] < hi - lo and all(text[lo + i].isupper() for i in capitals)
