"""Rules and entities to a ``Matcher``: every literal of every rule in one automaton.

See ``query.py`` (the language), ``builder.py`` (terms and rules), ``literals.py``
(literals and the automaton), ``triggers.py`` (what is checked when something is found)
and ``matcher.py`` (an item matched).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Sequence

from monitor.errors import RuleError
from monitor.match.builder import (
    MATCHES_NOTHING_SPECIFIC,
    Builder,
    entity_key,
    entity_table,
    shared_aliases,
)
from monitor.match.config import EntityConfig, RuleConfig
from monitor.match.logic import compile_node
from monitor.match.matcher import Matcher
from monitor.match.query import parse_terms


def compile_rules(rules: Sequence[RuleConfig], entities: Sequence[EntityConfig]) -> Matcher:
    """Parse every query and build one automaton of every literal.

    ``RuleError`` (with the position in the query) names the first rule that does not
    compile; ``validate_rules`` lists every problem at once.

    The cycle collector is paused for this call only, and left as the caller had it: the
    compile makes a few objects per term and keeps nearly all of them (cycles it makes
    none), so each collection their count triggers walks the growing heap again and finds
    nothing, and over 100k terms those walks cost as much as the compile itself. Other
    threads (a reload compiles while parse threads run) only have their collections
    deferred to the end of the call.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        builder = Builder(entity_table(entities))
        return builder.matcher(builder.rules(rules))
    finally:
        if collecting:
            gc.enable()


def validate_rules(rules: Sequence[RuleConfig], entities: Sequence[EntityConfig]) -> list[str]:
    """Every problem of the rules and entities, each with its location in the config.

    A rule with an empty ``name`` or ``query`` (the config's own problem, said there) has
    only the other one checked, so a rule's problems are all said at once."""
    problems: list[str] = []
    seen_entities: dict[str, int] = {}
    for i, entity in enumerate(entities):
        key = entity_key(entity.name)
        if not key:
            problems.append(f"entities[{i}].name: {entity.name!r} has no letter or digit")
        elif key in seen_entities:
            problems.append(
                f"entities[{i}].name: duplicate entity name {entity.name!r} "
                f"(also entities[{seen_entities[key]}])"
            )
        seen_entities.setdefault(key, i)
        for j, alias in enumerate(entity.aliases):
            if not entity_key(alias):
                problems.append(f"entities[{i}].aliases[{j}]: {alias!r} has no letter or digit")
    table = entity_table(entities)
    shared = shared_aliases(entities)
    seen_rules: dict[str, int] = {}
    for i, rule in enumerate(rules):
        if rule.name and rule.name in seen_rules:
            problems.append(
                f"rules[{i}].name: duplicate rule name {rule.name!r} "
                f"(also rules[{seen_rules[rule.name]}])"
            )
        if rule.name:
            seen_rules.setdefault(rule.name, i)
        if not rule.query:
            continue
        try:
            node, listed, _ = parse_terms(rule.query)
        except RuleError as exc:
            problems.append(f"rules[{i}].query: {exc.message} at position {exc.position}")
            continue
        unknown = [
            term.value
            for term in listed
            if term.kind == "entity" and entity_key(term.value) not in table
        ]
        for name in dict.fromkeys(unknown):
            problems.append(
                f"rules[{i}].query: no entity named {name!r} (define it in [[entities]])"
            )
        for term in listed:
            owners = shared.get(entity_key(term.value)) if term.kind == "entity" else None
            if owners:
                which = " and ".join(
                    f"entities[{o}] {json.dumps(entities[o].name, ensure_ascii=False)}"
                    for o in owners
                )
                written = term.value if len(term.value.split()) == 1 else json.dumps(term.value)
                problems.append(
                    f"rules[{i}].query: @{written} is an alias of {which}: name the one"
                    f" meant by its name at position {term.position}"
                )
        if not unknown and compile_node(node, {t.position: n for n, t in enumerate(listed)})(
            frozenset()
        ):
            problems.append(f"rules[{i}].query: {MATCHES_NOTHING_SPECIFIC}")
    return problems
