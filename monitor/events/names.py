"""The names a summary writes in several words ("Russian President Vladimir Putin"): to an
event, one name's words in common are one thing in common, not three (``cluster.py``)."""

from __future__ import annotations

from collections.abc import Iterable

from monitor.dedup.headline import content_words

# A summary with more of its words capitalised than this writes them in title case: its
# runs of capitals are not names.
TITLE_CASE = 0.6
_ENDS_RUN = ',.;:!?)]"”'
_POSSESSIVE = ("'s", "’s")  # "Ukraine's Volodymyr Zelenskiy": two names


def runs(summary: str) -> list[frozenset[str]]:
    """The words (stemmed) of each run of two or more capitalised words of ``summary``."""
    tokens = summary.split()
    capital = [t[:1].isupper() for t in tokens]
    if not tokens or sum(capital) > TITLE_CASE * len(tokens):
        return []
    out: list[frozenset[str]] = []
    run: list[str] = []
    for token, upper in zip(tokens, capital, strict=True):
        if upper:
            run.append(token)
        if run and (not upper or token[-1:] in _ENDS_RUN or token.endswith(_POSSESSIVE)):
            _close(run, out)
            run = []
    _close(run, out)
    return out


def _close(run: list[str], out: list[frozenset[str]]) -> None:
    if len(run) > 1:
        words = frozenset(content_words(" ".join(run)))
        if len(words) > 1:
            out.append(words)


def distinct(words: Iterable[str], names: list[frozenset[str]]) -> int:
    """How many of ``words`` there are, the words of one name (``runs``) counted once."""
    left = set(words)
    # a word of two runs (a title: "President Xi Jinping", "President Vladimir Putin") is
    # no name's own: it links nothing (review19e: two leaders counted as one word)
    names = [n - {w for w in n if sum(w in m for m in names) > 1} for n in names]
    count = 0
    while left:
        count += 1
        group = {left.pop()}
        while more := {w for w in left if any(w in n and not n.isdisjoint(group) for n in names)}:
            group |= more
            left -= more
    return count
