"""Compiling takes a short path for the usual query ((a OR @b OR "c d") AND (e OR f)); it
must build exactly what the full parser's path builds, and refuse exactly what it refuses."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.errors import RuleError
from monitor.match import compile_rules
from monitor.match.builder import Builder, entity_table
from monitor.match.config import EntityConfig, RuleConfig
from monitor.match.query import And, Or, Term, parse_terms
from monitor.match.usual import usual_groups

ENTITIES = [
    EntityConfig(name="Vladimir Putin", aliases=["Putin", "Путин"]),
    EntityConfig(name="Kyiv", aliases=["Kiev", "Киев"]),
]
PIECES = [
    "summit",
    "Summit",
    "talks",
    "Putin",
    "putin",
    "Путин",
    "Зеленского",
    "café",
    "ﬁnance",
    "2025",
    "ﷺ",  # one character, four words once folded
    "½",
    "@Putin",
    "@putin",
    "@Kiev",
    "@Nobody",
    '@"Vladimir Putin"',
    '@"vladimir  putin"',
    '@" Kyiv "',
    '"peace talks"',
    '"Peace  Talks"',
    '"talks"',
    '""',
    '" . "',
    "U.S.",
    "peace-talks",
    "negotiat*",
    "title:",
    "~2",
    "OR",
    "AND",
    "NOT",
    "and",
    "Or",
    "not",
    "(",
    ")",
    "-",
    '"',
    "@",
]
QUERIES = st.lists(
    st.tuples(st.sampled_from(PIECES), st.sampled_from([" ", " ", "", "  ", "\t"])),
    min_size=1,
    max_size=12,
).map(lambda pieces: "".join(p + sep for p, sep in pieces))
USUAL = st.lists(
    st.lists(st.sampled_from(PIECES[:20]), min_size=1, max_size=4).map(
        lambda g: g[0] if len(g) == 1 else "(" + " OR ".join(g) + ")"
    ),
    min_size=1,
    max_size=3,
).map(" AND ".join)


def built(queries: list[str], usual: bool) -> object:
    """Everything the builder made, in a comparable form; or the error it raised."""
    builder = Builder(entity_table(ENTITIES), usual=usual)
    try:
        rules = builder.rules([RuleConfig(name=f"r{i}", query=q) for i, q in enumerate(queries)])
        matcher = builder.matcher(rules)
    except RuleError as exc:
        return ("error", exc.message, exc.position)
    # A literal is found as its term when it triggers that term alone, a simple one.
    triggers = builder.triggers()
    assert matcher._direct == [
        ids[0] if len(ids) == 1 and builder.terms[ids[0]] is None else -1 for ids in triggers
    ]
    term_ids = range(len(builder.terms))
    probes = [frozenset(random.Random(n).sample(term_ids, len(term_ids) // 2)) for n in range(20)]
    return (
        builder.labels,
        builder.terms,
        builder.uses,
        builder.shared,
        builder.whole,
        builder.starts,
        builder.checked,
        [(r.groups, r.terms, r.feeds, r.tags) for r in rules],
        [[r.test(p) for p in probes] for r in rules],
        builder.triggers(),
        builder.checks(rules),
        sorted(matcher._automaton.items()) if matcher._automaton is not None else [],
        matcher._direct,
    )


FUZZ = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.lists(st.one_of(QUERIES, USUAL), min_size=1, max_size=4))
def test_the_short_path_builds_what_the_full_parser_builds(queries: list[str]) -> None:
    assert built(queries, usual=True) == built(queries, usual=False)


@FUZZ
@given(st.one_of(QUERIES, USUAL))
def test_usual_groups_are_the_groups_of_the_parse_tree(query: str) -> None:
    written = usual_groups(query)
    if written is None:
        return
    try:
        node, listed = parse_terms(query)
    except RuleError:  # a term the short path refuses too (an empty phrase): the first test
        return
    assert all(positive for _, positive in listed)
    tree_groups = [
        list(c.children) if isinstance(c, Or) else [c]
        for c in (node.children if isinstance(node, And) else (node,))
    ]
    assert [len(g) for g in written] == [len(g) for g in tree_groups]
    assert all(isinstance(t, Term) for g in tree_groups for t in g)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('(@"Volodymyr Zelensky" OR Putin) AND (negotiations OR summit)', 2),
        ("a OR b OR c", 1),
        ("a b", 2),
        ("(a) AND (b OR c) d", 3),
        ('"peace talks"', 1),
        ("Зеленский OR ﬁnance", 1),
    ],
)
def test_usual_queries_take_the_short_path(query: str, expected: int) -> None:
    written = usual_groups(query)
    assert written is not None and len(written) == expected


@pytest.mark.parametrize(
    "query",
    [
        "a OR b c",  # OR of ANDs
        "a -b",
        "NOT a",
        "a and b",
        "a Or b",
        "@or",
        "peace-talks",
        "title:a",
        "a*",
        '"a b"~3',
        "((a))",
        "",
        "(a OR AND)",
        "a(b)",
        '"a"b',
    ],
)
def test_other_queries_take_the_full_parser(query: str) -> None:
    assert usual_groups(query) is None


def test_thousands_of_rules_with_a_term_the_short_path_cannot_make_compile() -> None:
    """"ﷺ" folds to several words, so each of these rules goes to the full parser in the middle
    of a run of the usual shape (the run used to recurse once per such rule: RecursionError
    at a thousand, and the daemon could not start)."""
    rules = [
        RuleConfig(name=f"r{i}", query=f"(ﷺ OR w{i}) AND summit", channels=["x"])
        for i in range(3000)
    ]
    matcher = compile_rules(rules, [])
    assert [m.rule for m in matcher.match("w2999 summit opens", "")] == ["r2999"]
    assert [m.rule for m in matcher.match("w7 summit", "")] == ["r7"]
