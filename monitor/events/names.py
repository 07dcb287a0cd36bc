"""The names a summary writes in several words ("Russian President Vladimir Putin"): to an
event, one name's words in common are one thing in common, not three (``cluster.py``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from monitor.dedup.headline import content_words

# A summary with more of its words capitalised than this writes them in title case: its
# runs of capitals are not names.
TITLE_CASE = 0.6
_ENDS_RUN = ',.;:!?)]"”'
_POSSESSIVE = ("'s", "’s")  # "Ukraine's Volodymyr Zelenskiy": two names


# Asked of one item's summary for each candidate event its join is judged against.
@lru_cache(maxsize=4)
def runs(summary: str) -> tuple[frozenset[str], ...]:
    """The words (stemmed) of each run of two or more capitalised words of ``summary``."""
    tokens = summary.split()
    capital = [t[:1].isupper() for t in tokens]
    if not tokens or sum(capital) > TITLE_CASE * len(tokens):
        return ()
    out: list[frozenset[str]] = []
    run: list[str] = []
    for token, upper in zip(tokens, capital, strict=True):
        if upper:
            run.append(token)
        if run and (not upper or token[-1:] in _ENDS_RUN or token.endswith(_POSSESSIVE)):
            _close(run, out)
            run = []
    _close(run, out)
    return tuple(out)


def _close(run: list[str], out: list[frozenset[str]]) -> None:
    if len(run) > 1:
        words = _name_words(" ".join(run))
        if len(words) > 1:
            out.append(words)


# The wires write the same names in many ledes ("Russian President Vladimir Putin").
@lru_cache(maxsize=1024)
def _name_words(name: str) -> frozenset[str]:
    return frozenset(content_words(name))


def distinct(words: Iterable[str], names: Sequence[frozenset[str]]) -> int:
    """How many of ``words`` there are, the words of one name (``runs``) counted once."""
    left = set(words)
    # a word of two runs (a title: "President Xi Jinping", "President Vladimir Putin") is
    # no name's own: it links nothing (review19e: two leaders counted as one word). Only
    # ``words`` matter, and what is left of the names is disjoint (each word one name's):
    # each name's k words of ``words`` count once, k - 1 fewer. (Counting each word's names
    # by asking every name was quadratic in the runs: 117 us a call on the ingest bench.)
    held = [name & left for name in names]
    runs_of: dict[str, int] = {}
    for name in held:
        for word in name:
            runs_of[word] = runs_of.get(word, 0) + 1
    count = len(left)
    for name in held:
        own = sum(runs_of[word] == 1 for word in name)
        if own > 1:
            count -= own - 1
    return count
