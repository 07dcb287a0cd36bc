"""Compile every rule's terms into one Aho-Corasick automaton; match items in one pass.

Each literal is searched in the folded text (see ``text.fold``) and accepted only on word
boundaries: a term never fires inside a longer word. A possessive ('s) may follow a term.
- entity aliases and "quoted phrases": the folded words exactly;
- bare keywords: any word with the same Snowball stem ("negotiations" fires on
  "negotiation", "negotiating"), found through the stem as a prefix;
- Cyrillic aliases: by Russian stem when the stem keeps at least 4 letters
  ("Зеленский" fires on "Зеленского"), else exactly;
- ``word*``: any word starting with it.
No regular expression written by a user is ever run, so no rule can hang the matcher.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import ahocorasick

from monitor.errors import RuleError
from monitor.match.config import EntityConfig, RuleConfig
from monitor.match.query import Node, Term, evaluate, parse, terms
from monitor.match.text import fold, fold_term, is_cyrillic, stem, word_char
from monitor.models import Match, TermHit

SNIPPET = 160
MIN_CYRILLIC_STEM = 4


@dataclass(frozen=True, slots=True)
class _Literal:
    """One pattern in the automaton and how a hit on it is checked."""

    mode: str  # exact | stem | prefix
    stem: str  # for mode "stem": the stem every matched word must have
    term: Term


@dataclass(slots=True)
class _Rule:
    config: RuleConfig
    node: Node
    terms: list[Term]
    feeds: frozenset[str]
    tags: frozenset[str]


class Matcher:
    """The compiled rules. ``match`` is pure and thread-safe (the automaton is read-only)."""

    def __init__(self, automaton: ahocorasick.Automaton | None, rules: list[_Rule]) -> None:
        self._automaton = automaton
        self._rules = rules
        self._rules_by_term: dict[Term, list[int]] = defaultdict(list)
        for index, rule in enumerate(rules):
            for term in rule.terms:
                self._rules_by_term[term].append(index)

    @property
    def rule_count(self) -> int:
        return len(self._rules)

    def match(
        self,
        title: str,
        summary: str,
        *,
        feed_name: str = "",
        feed_url: str = "",
        tags: Sequence[str] = (),
    ) -> list[Match]:
        """Every rule that fires on this item, each with the terms that fired and where."""
        if self._automaton is None:
            return []
        hits: dict[Term, list[TermHit]] = defaultdict(list)
        for field, text in (("title", title), ("summary", summary)):
            if text:
                self._scan(field, text, hits)
        if not hits:
            return []
        candidates = sorted({i for term in hits for i in self._rules_by_term.get(term, ())})
        matches = []
        for index in candidates:
            rule = self._rules[index]
            if rule.feeds and not ({feed_name, feed_url} & rule.feeds):
                continue
            if rule.tags and not (rule.tags & set(tags)):
                continue
            fired = {t for t in rule.terms if t in hits}
            if not evaluate(rule.node, fired):
                continue
            found = sorted(
                (h for t in rule.terms if t in fired for h in hits[t]),
                key=lambda h: (h.field != "title", h.start),
            )
            matches.append(
                Match(
                    rule=rule.config.name,
                    severity=rule.config.severity,
                    channels=tuple(rule.config.channels),
                    hits=tuple(found),
                    snippet=_snippet(title if found[0].field == "title" else summary, found[0]),
                )
            )
        return matches

    def _scan(self, field: str, text: str, hits: dict[Term, list[TermHit]]) -> None:
        assert self._automaton is not None
        folded, offsets = fold(text)
        size = len(folded)
        for end, (pattern, literals) in self._automaton.iter(folded):
            start = end - len(pattern) + 1
            if start > 0 and word_char(folded[start - 1]):
                continue
            word_end = end + 1
            for literal in literals:
                term = literal.term
                if term.field is not None and term.field != field:
                    continue
                if literal.mode == "prefix":
                    stop = _word_end(folded, word_end)
                elif literal.mode == "stem":
                    stop = _word_end(folded, word_end)
                    if stem(folded[start:stop]) != literal.stem:
                        continue
                else:
                    stop = _exact_end(folded, word_end, size)
                    if stop < 0:
                        continue
                lo = offsets[start] if offsets else start
                hi = (offsets[stop - 1] + 1) if offsets else stop
                hits[term].append(TermHit(term.display, text[lo:hi], field, lo, hi))


def _word_end(folded: str, i: int) -> int:
    while i < len(folded) and word_char(folded[i]):
        i += 1
    return i


def _exact_end(folded: str, i: int, size: int) -> int:
    """Where an exact hit ends (a word boundary; "'s" counts as one); -1 inside a word."""
    if i >= size or not word_char(folded[i]):
        return i
    return -1


def _snippet(text: str, hit: TermHit) -> str:
    start = max(0, hit.start - SNIPPET // 2)
    end = min(len(text), start + SNIPPET)
    start = max(0, end - SNIPPET)
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < hit.start else start
    if end < len(text):
        space = text.rfind(" ", hit.end, end)
        end = space if space > hit.end else end
    return ("…" if start > 0 else "") + text[start:end].strip() + ("…" if end < len(text) else "")


def _literals(term: Term, entities: dict[str, EntityConfig]) -> list[tuple[str, _Literal]]:
    """The automaton patterns of one term."""
    if term.kind == "entity":
        entity = entities[fold_term(term.value)]
        out = []
        for spelling in dict.fromkeys([entity.name, *entity.aliases]):
            folded = fold_term(spelling)
            if not folded:
                continue
            out.append((folded, _Literal("exact", "", term)))
            if is_cyrillic(folded) and " " not in folded:
                root = stem(folded)
                if len(root) >= MIN_CYRILLIC_STEM and root != folded:
                    out.append((root, _Literal("stem", root, term)))
        return out
    folded = fold_term(term.value)
    if term.kind == "prefix":
        return [(folded, _Literal("prefix", "", term))]
    if term.kind == "phrase" or " " in folded:
        return [(folded, _Literal("exact", "", term))]
    root = stem(folded)
    if is_cyrillic(folded) and len(root) < MIN_CYRILLIC_STEM:
        return [(folded, _Literal("exact", "", term))]
    # The stem is a prefix of every inflection that shares it; the check runs on the whole word.
    return [(root, _Literal("stem", root, term))]


def _entity_table(entities: Sequence[EntityConfig]) -> dict[str, EntityConfig]:
    table: dict[str, EntityConfig] = {}
    for entity in entities:
        for spelling in (entity.name, *entity.aliases):
            table.setdefault(fold_term(spelling), entity)
    return table


def compile_rules(rules: Sequence[RuleConfig], entities: Sequence[EntityConfig]) -> Matcher:
    """Parse every query and build one automaton of every literal (``RuleError`` if bad)."""
    table = _entity_table(entities)
    compiled: list[_Rule] = []
    patterns: dict[str, list[_Literal]] = defaultdict(list)
    for rule in rules:
        node = parse(rule.query)
        rule_terms = list(dict.fromkeys(terms(node)))
        for term in rule_terms:
            if term.kind == "entity" and fold_term(term.value) not in table:
                raise RuleError(f"no entity named {term.value!r}", term.position)
            for pattern, literal in _literals(term, table):
                patterns[pattern].append(literal)
        compiled.append(_Rule(rule, node, rule_terms, frozenset(rule.feeds), frozenset(rule.tags)))
    if not patterns:
        return Matcher(None, compiled)
    automaton = ahocorasick.Automaton()
    for pattern, literals in patterns.items():
        automaton.add_word(pattern, (pattern, tuple(literals)))
    automaton.make_automaton()
    return Matcher(automaton, compiled)


def validate_rules(rules: Sequence[RuleConfig], entities: Sequence[EntityConfig]) -> list[str]:
    """Every problem of the rules and entities, each with its location in the config."""
    problems: list[str] = []
    table = _entity_table(entities)
    seen_entities: dict[str, int] = {}
    for i, entity in enumerate(entities):
        key = fold_term(entity.name)
        if key in seen_entities:
            problems.append(
                f"entities[{i}].name: {entity.name!r} is already entities[{seen_entities[key]}]"
            )
        seen_entities.setdefault(key, i)
    seen_rules: dict[str, int] = {}
    for i, rule in enumerate(rules):
        if rule.name in seen_rules:
            problems.append(
                f"rules[{i}].name: {rule.name!r} is already rules[{seen_rules[rule.name]}]"
            )
        seen_rules.setdefault(rule.name, i)
        try:
            node = parse(rule.query)
        except RuleError as exc:
            problems.append(f"rules[{i}].query: {exc.message} at position {exc.position}")
            continue
        for term in terms(node):
            if term.kind == "entity" and fold_term(term.value) not in table:
                problems.append(
                    f"rules[{i}].query: no entity named {term.value!r} at position "
                    f"{term.position} (define it in [[entities]])"
                )
        if evaluate(node, set()):
            problems.append(
                f"rules[{i}].query: it would match items that contain none of its terms "
                "(a query needs at least one term that must be present)"
            )
    return problems
