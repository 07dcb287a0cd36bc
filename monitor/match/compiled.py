"""What compiling rules makes, and what the matcher reads: terms, rules, and what finding a
literal or a term means. The ids are indexes: a literal's into ``Matcher.literals``, a
term's into ``Matcher.terms``, a rule's into ``Matcher.rules``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from typing import NamedTuple

from monitor.match.config import RuleConfig
from monitor.match.logic import Groups

# Hits of each literal: literal id -> {start: end} in the folded item text.
Hits = dict[int, dict[int, int]]
# Spans of each term that was found: term id -> {start: end}.
Found = dict[int, dict[int, int]]
# A rule's query as a function of the term ids found.
RuleTest = Callable[[AbstractSet[int]], bool]


class CompiledTerm(NamedTuple):
    """A term of some rule: any of ``alternatives`` (sequences of literal ids) found."""

    label: str  # as the user wrote it: Putin, @"Volodymyr Zelensky", "peace talks"
    alternatives: tuple[tuple[int, ...], ...]
    field: str | None = None
    slop: int | None = None


class CompiledRule(NamedTuple):
    config: RuleConfig
    test: RuleTest
    # The same test for the usual shape, (a OR b) AND (c OR d), as groups of term ids.
    groups: Groups | None
    terms: tuple[int, ...]  # the terms that count when the rule fires (not those under NOT)
    feeds: frozenset[str]  # casefolded; empty: every feed
    tags: frozenset[str]


class Check(NamedTuple):
    """A rule to check when one of its trigger terms is found."""

    rule: int
    # The groups that must also hold, one term of each found; None: the rule's own test,
    # with its feeds and tags.
    rest: Groups | None


class Pair(NamedTuple):
    """A rule of the usual shape, (a OR b) AND (c OR d) on every feed, to check when a term
    of one group is found: it fires when a term of the ``other`` group is found too."""

    rule: int
    other: frozenset[int]


class TermUse(NamedTuple):
    """A term, and the rules its being found triggers."""

    label: str  # as the user wrote it
    compiled: CompiledTerm | None  # None: a simple term, one literal found anywhere
    pairs: Sequence[Pair]
    checks: Sequence[Check]


class LiteralUse(NamedTuple):
    """What finding a literal means."""

    term: int  # the one simple term it is the whole of (its hits are the term's), or -1
    triggers: Sequence[int]  # else: the terms to check
