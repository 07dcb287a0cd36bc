"""What compiling rules makes, and what the matcher reads: terms, rules, and what finding a
literal or a term means. The ids are indexes: a literal's into the lists of
``Matcher.literals``, a term's into those of ``Matcher.terms``, a rule's into
``Matcher.rules``. Tables of lists rather than a record per term: a record is one more object per
term for the cycle collector to walk for as long as the matcher lives."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from functools import partial
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


class TermTable(NamedTuple):
    """Every term, by term id."""

    labels: list[str]  # as the user wrote each: Putin, @"Volodymyr Zelensky", "peace talks"
    compiled: list[CompiledTerm | None]  # None: a simple term, one literal found anywhere
    pairs: list[Sequence[Pair]]  # the rules of the usual shape its being found triggers
    checks: list[Sequence[Check]]  # the other rules it triggers


class LiteralTable(NamedTuple):
    """Every literal, by literal id: what finding it means."""

    term: list[int]  # the one simple term it is the whole of (its hits are the term's), or -1
    triggers: list[Sequence[int]]  # else: the terms to check


# Made by the ten thousand when a config compiles: from a tuple in C (as
# ``NamedTuple._make`` does) rather than through the Python ``__new__`` of a ``NamedTuple``.
compiled_rule: Callable[
    [tuple[RuleConfig, RuleTest, Groups | None, tuple[int, ...], frozenset[str], frozenset[str]]],
    CompiledRule,
] = partial(tuple.__new__, CompiledRule)
compiled_term: Callable[
    [tuple[str, tuple[tuple[int, ...], ...], str | None, int | None]], CompiledTerm
] = partial(tuple.__new__, CompiledTerm)
pair: Callable[[tuple[int, frozenset[int]]], Pair] = partial(tuple.__new__, Pair)
