"""Queries of the common shape ((a OR @b OR "c d") AND (e OR f)) are read by a pre-check
(``flat.parse_flat``) instead of the general parser: it must give exactly the general
parser's tree and terms, and leave every query the parser refuses to the parser."""

from __future__ import annotations

import contextlib
import gc
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.errors import RuleError
from monitor.match import compile_rules
from monitor.match.config import EntityConfig, RuleConfig
from monitor.match.flat import parse_flat
from monitor.match.query import parse_full, parse_terms
from monitor.match.syntax import Parsed

ROOT = Path(__file__).resolve().parents[1]
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
    '@""',
    '"peace talks"',
    '"Peace  Talks"',
    '"talks"',
    '""',
    '" . "',
    '"war OR peace"',  # an operator, parentheses inside a phrase
    '"(a) AND (b"',
    '@"Dow OR Jones"',
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
    "@and",
    "ORACLE",
    "(",
    ")",
    "-",
    '"',
    "@",
]
QUERIES = st.lists(
    st.tuples(st.sampled_from(PIECES), st.sampled_from([" ", " ", "", "  ", "\t", "\n"])),
    min_size=1,
    max_size=12,
).map(lambda pieces: "".join(p + sep for p, sep in pieces))
FLAT = st.lists(
    st.lists(st.sampled_from(PIECES[:29]), min_size=1, max_size=4).map(
        lambda g: g[0] if len(g) == 1 else "(" + " OR ".join(g) + ")"
    ),
    min_size=1,
    max_size=3,
).map(" AND ".join)


def read_both(query: str) -> tuple[Parsed | None, Parsed | str]:
    """What the pre-check gives, and what the general parser gives (or its error)."""
    try:
        full: Parsed | str = parse_full(query)
    except RuleError as exc:
        full = f"{exc.message} at {exc.position}"
    return parse_flat(query), full


def real_queries() -> list[str]:
    """Queries users write: the shipped example config's and those of docs/rules.md."""
    text = (ROOT / "config.example.toml").read_text() + (ROOT / "docs/rules.md").read_text()
    return re.findall(r"^query = '(.*)'", text, re.M) + re.findall(r"`([^`\n]+)`", text)


FUZZ = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.one_of(QUERIES, FLAT))
def test_the_pre_check_gives_the_parsers_tree_or_nothing(query: str) -> None:
    flat, full = read_both(query)
    assert flat is None or flat == full


def test_the_pre_check_agrees_with_the_parser_on_real_queries() -> None:
    queries = real_queries()
    assert len(queries) > 100
    read = 0
    for query in queries:
        flat, full = read_both(query)
        assert flat is None or flat == full, query
        read += flat is not None
    assert read > 20  # most real queries have the common shape


@pytest.mark.parametrize(
    ("query", "groups"),
    [
        ('(@"Volodymyr Zelensky" OR Putin) AND (negotiations OR summit)', 2),
        ("a OR b OR c", 1),
        ("a b", 2),
        ("(a) AND (b OR c) d", 3),
        ('"peace talks"', 1),
        ("Зеленский OR ﬁnance", 1),
        ("ORACLE AND NOTE", 2),
        ("a\tOR\n b", 1),
        ("( a OR b )  AND\tc ", 2),
        ("a OR (b)", 1),
        ('("war OR peace" OR @"Dow AND Jones") AND "(a) OR (b)"', 2),
        ('"a OR b" OR c', 1),
        ("ORACLE OR ANDES", 1),
    ],
)
def test_queries_of_the_common_shape_take_the_pre_check(query: str, groups: int) -> None:
    parsed = parse_flat(query)
    assert parsed is not None and parsed == parse_full(query)
    tree = parsed.tree
    assert len(getattr(tree, "children", [tree])) == groups or groups == 1


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
        '""',
        "(a OR b) OR c",
        "a OR OR b",
        "OR a",
        "a AND",
        "(a OR (b))",
        "(a b)",
        "a )",
        "(a",
        "@",
        '@"a',
        "@a*",
        "a OR b AND c",
    ],
)
def test_other_queries_go_to_the_parser(query: str) -> None:
    assert parse_flat(query) is None
    _, full = read_both(query)
    try:
        assert parse_terms(query) == full
    except RuleError as exc:
        assert f"{exc.message} at {exc.position}" == full


def test_thousands_of_rules_with_a_term_that_folds_to_several_words_compile() -> None:
    """ "ﷺ" folds to several words (the rule compiled it by the general parser in the
    middle of a run of the common shape, once recursively: RecursionError at a thousand
    such rules, and the daemon could not start)."""
    rules = [
        RuleConfig(name=f"r{i}", query=f"(ﷺ OR w{i}) AND summit", channels=["x"])
        for i in range(3000)
    ]
    matcher = compile_rules(rules, [])
    assert [m.rule for m in matcher.match("w2999 summit opens", "")] == ["r2999"]
    assert [m.rule for m in matcher.match("w7 summit", "")] == ["r7"]


SHARING = {  # terms that share a literal, or an automaton key, with another term
    "scoped": "title:summit",
    "keyword": "summit",
    "entity": "@Putin",
    "phrase": '"putin"',
    "prefix": "negotiat*",
    "stem": "negotiations",
    "phrase2": '"summit talks"',
    "near": '"summit talks"~2',
    "upper": "Summit AND talks",
}


@pytest.mark.parametrize(
    ("title", "summary", "fired"),
    [
        ("Summit opens", "", ["keyword", "scoped"]),
        ("Leaders meet", "at the summit", ["keyword"]),
        ("Putin speaks", "", ["entity", "phrase"]),
        ("Negotiators meet", "", ["prefix", "stem"]),
        ("Negotiating", "", ["prefix", "stem"]),
        # "Summit", written with a capital, wants one in the text (docs/rules.md)
        ("summit, then talks", "", ["keyword", "near", "scoped"]),
        ("Summit talks", "", ["keyword", "near", "phrase2", "scoped", "upper"]),
        ("Summitry", "Putinism", []),
    ],
)
def test_terms_that_share_a_word_each_fire_their_own_rules(
    title: str, summary: str, fired: list[str]
) -> None:
    """A word found may be the whole of one term and a part of others ("summit" is a
    keyword, the keyword scoped to titles, and a phrase's word; "putin" an entity's
    spelling and a quoted word): finding it must check every one of them."""
    rules = [RuleConfig(name=name, query=query) for name, query in SHARING.items()]
    matcher = compile_rules(rules, [EntityConfig(name="Vladimir Putin", aliases=["Putin"])])
    assert sorted(m.rule for m in matcher.match(title, summary)) == fired


@pytest.mark.parametrize("collecting", [True, False])
@pytest.mark.parametrize("query", ["Putin AND summit", "Putin AND (summit"])
def test_compiling_leaves_the_cycle_collector_as_the_caller_had_it(
    collecting: bool, query: str
) -> None:
    """The compile pauses the collector for itself only, also when a rule is refused."""
    was = gc.isenabled()
    (gc.enable if collecting else gc.disable)()
    try:
        with contextlib.suppress(RuleError):
            compile_rules([RuleConfig(name="r", query=query, channels=["x"])], [])
        assert gc.isenabled() is collecting
    finally:
        (gc.enable if was else gc.disable)()
