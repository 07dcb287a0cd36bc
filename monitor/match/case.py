"""Letter case, for the words a rule writes with capitals ("US", "May", "Fed").

The automaton finds words case-blind (``text.fold``). A word written with capitals has a
literal of its own, made after the scan from the hits of its case-blind literal: a hit
counts where the original text has a capital at each place the word has one. A field written
wholly in capitals ("US STOCKS FALL") carries no case, and every hit there counts. Only
items with a hit of such a word pay for the check.
"""

from __future__ import annotations

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
    summary_base = title_end + 1
    loud_title = loud_summary = None  # whether each field is wholly in capitals, once known
    for parent in [literal for literal in hits if literal in cased]:
        spans = hits[parent]
        for literal, capitals in cased[parent]:
            last = capitals[-1]
            kept: dict[int, int] | None = None
            for start, end in spans.items():
                if start < title_end:
                    text, offsets, at = title, title_offsets, start
                    if loud_title is None:
                        loud_title = text.isupper()
                    loud = loud_title
                else:
                    text, offsets, at = summary, summary_offsets, start - summary_base
                    if loud_summary is None:
                        loud_summary = text.isupper()
                    loud = loud_summary
                if not loud:
                    if offsets is None:  # most text: the folded offsets are the original's
                        if last >= end - start:
                            continue
                    else:
                        at, hi = original_span(offsets, at, at + end - start)
                        if last >= hi - at:
                            continue
                    if last == 0:  # "May", "Fed": a capital first
                        if not text[at].isupper():
                            continue
                    elif not all(text[at + i].isupper() for i in capitals):
                        continue
                if kept is None:
                    kept = hits[literal] = {}
                kept[start] = end
