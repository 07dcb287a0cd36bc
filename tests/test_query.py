"""The query language: what parses to what, and a clear error at the right position for
what does not; `monitor check-config` lists every problem of every rule."""

from __future__ import annotations

import pytest

from monitor import config as config_module
from monitor.errors import ConfigError, RuleError
from monitor.match import compile_rules, validate_rules
from monitor.match.config import EntityConfig, RuleConfig
from monitor.match.query import And, Not, Or, Term, parse

ENTITIES = [EntityConfig(name="Vladimir Putin", aliases=["Putin"])]


def shape(query: str) -> str:
    """The parse tree in a compact form: AND/OR/NOT with terms as kind:words."""

    def show(node: object) -> str:
        if isinstance(node, Term):
            scope = f"{node.field}:" if node.field else ""
            slop = f"~{node.slop}" if node.slop is not None else ""
            words = node.value if node.kind == "entity" else " ".join(node.words)
            return f"{scope}{node.kind}[{words}]{slop}"
        if isinstance(node, Not):
            return f"NOT {show(node.child)}"
        if isinstance(node, And | Or):
            op = " AND " if isinstance(node, And) else " OR "
            return "(" + op.join(show(c) for c in node.children) + ")"
        raise AssertionError(node)

    return show(parse(query))


@pytest.mark.parametrize(
    ("query", "tree"),
    [
        ("summit", "word[summit]"),
        ("Summit", "word[summit]"),
        ("negotiat*", "prefix[negotiat]"),
        ('"Peace  Talks"', "phrase[peace talks]"),
        ("peace-talks", "word[peace talks]"),
        ("@Putin", "entity[Putin]"),
        ('@"Vladimir Putin"', "entity[Vladimir Putin]"),
        ("a OR b AND c", "(word[a] OR (word[b] AND word[c]))"),  # AND binds tighter
        ("a b OR c", "((word[a] AND word[b]) OR word[c])"),  # adjacent terms are ANDed
        ("(a OR b) c", "((word[a] OR word[b]) AND word[c])"),
        ("a NOT b", "(word[a] AND NOT word[b])"),
        ("a -b", "(word[a] AND NOT word[b])"),
        ("NOT NOT a", "NOT NOT word[a]"),
        ("title:summit", "title:word[summit]"),
        ("Title:summit", "title:word[summit]"),
        ("summary:@Putin", "summary:entity[Putin]"),
        ("title:(a OR summary:b)", "(title:word[a] OR summary:word[b])"),
        ('"peace talks"~5', "phrase[peace talks]~5"),
        ('title:"peace talks"~2', "title:phrase[peace talks]~2"),
        ('"U.S." sanctions', "(phrase[u.s.] AND word[sanctions])"),
        ("Zelenskyy's", "word[zelenskyy's]"),
        (
            '(@"Volodymyr Zelensky" OR Putin) AND (negotiations OR summit)',
            "((entity[Volodymyr Zelensky] OR word[putin]) AND (word[negotiations] OR word[summit]))",
        ),
    ],
)
def test_queries_parse_to_the_expected_tree(query: str, tree: str) -> None:
    assert shape(query) == tree


@pytest.mark.parametrize(
    ("query", "position", "message"),
    [
        ("", 0, "the query is empty"),
        ("   ", 0, "the query is empty"),
        ("(summit OR talks", 0, "this parenthesis is never closed"),
        ("a AND (b OR (c)", 6, "this parenthesis is never closed"),
        ("summit )", 7, "a closing parenthesis without its opening one"),
        ("()", 0, "empty parentheses"),
        ("summit AND", 10, "the query ends where a term was expected"),
        ("summit OR", 9, "the query ends where a term was expected"),
        ("NOT", 3, "the query ends where a term was expected"),
        ("OR summit", 0, "OR needs a term before and after it"),
        ("summit AND OR talks", 11, "OR needs a term before and after it"),
        ('summit "peace talks', 7, "this quote is never closed"),
        ('""', 0, "an empty phrase"),
        ("head:summit", 0, "unknown field 'head' (fields: title, summary)"),
        ("title:", 6, "the query ends where a term after the field scope was expected"),
        (": summit", 0, "a field scope is written title:term or summary:term"),
        ("ne*", 0, "a wildcard needs at least 3 letters before the *"),
        ("* summit", 0, "a wildcard * must end a word"),
        ("peace-talk*", 0, "a wildcard * must end a single word"),
        ("@ Putin", 0, "@ must be followed by an entity name"),
        ("@", 0, "@ must be followed by an entity name"),
        ("summit ~5", 7, "~ (proximity) must follow a quoted phrase"),
        ('"peace talks"~', 13, "proximity is written as a number after ~"),
        ('"peace talks"~x', 13, "proximity is written as a number after ~"),
        ('"peace talks"~500', 13, "proximity can be at most ~100 words"),
        ("summit $", 7, "unexpected character '$'"),
        ("summit and talks", 7, "write operators in capitals: AND"),
        ("summit Or talks", 7, "write operators in capitals: OR"),
        ("(" * 60 + "a" + ")" * 60, 50, "parentheses nested more than 50 deep"),
    ],
)
def test_bad_queries_say_what_is_wrong_and_where(query: str, position: int, message: str) -> None:
    with pytest.raises(RuleError) as info:
        parse(query)
    assert (info.value.position, message) == (position, info.value.message[: len(message)])
    assert 0 <= position <= len(query)


def test_compile_rules_names_the_rule_that_does_not_compile() -> None:
    rules = [RuleConfig(name="good", query="summit"), RuleConfig(name="bad", query="a AND")]
    with pytest.raises(RuleError) as info:
        compile_rules(rules, ENTITIES)
    assert info.value.position == 5
    assert str(info.value) == "rules: rules[1] (bad): the query ends where a term was expected"


@pytest.mark.parametrize(
    "query",
    ["NOT sport", "-sport", "NOT (a OR b)", "summit OR NOT sport"],
)
def test_a_query_must_require_some_term(query: str) -> None:
    with pytest.raises(RuleError, match="would match items that contain none of its terms"):
        compile_rules([RuleConfig(name="r", query=query)], ENTITIES)


def test_validate_rules_lists_every_problem_with_its_location() -> None:
    rules = [
        RuleConfig(name="a", query="(summit"),
        RuleConfig(name="a", query='@"Nobody Known" AND @Foo AND summit'),
        RuleConfig(name="c", query="NOT sport"),
        RuleConfig(name="d", query='@Putin "peace talks"~3 negotiat*'),
    ]
    entities = [
        *ENTITIES,
        EntityConfig(name="vladimir  PUTIN"),
        EntityConfig(name="x", aliases=["-"]),
    ]
    assert validate_rules(rules, entities) == [
        "entities[1].name: duplicate entity name 'vladimir  PUTIN' (also entities[0])",
        "entities[2].aliases[0]: '-' has no letter or digit",
        "rules[0].query: this parenthesis is never closed at position 0",
        "rules[1].name: duplicate rule name 'a' (also rules[0])",
        "rules[1].query: no entity named 'Nobody Known' (define it in [[entities]])",
        "rules[1].query: no entity named 'Foo' (define it in [[entities]])",
        "rules[2].query: this query would match items that contain none of its terms "
        "(a query needs at least one term that must be present; NOT alone is not enough)",
    ]


def test_validate_rules_accepts_the_example_rules() -> None:
    from pathlib import Path

    config = config_module.load(Path(__file__).resolve().parents[1] / "config.example.toml")
    assert validate_rules(config.rules, config.entities) == []


def test_check_config_refuses_bad_queries_listing_each_with_its_position() -> None:
    text = """
[[entities]]
name = "Vladimir Putin"

[[rules]]
name = "x"
query = "summit AND (talks"

[[rules]]
name = "y"
query = "@Zelensky summit"
"""
    with pytest.raises(ConfigError) as info:
        config_module.loads(text)
    assert info.value.problems == [
        'rules[0] "x".query: this parenthesis is never closed at position 11',
        """rules[1] "y".query: no entity named 'Zelensky' (define it in [[entities]])""",
    ]
