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
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass

import ahocorasick

from monitor.errors import RuleError
from monitor.match.config import EntityConfig, RuleConfig
from monitor.match.query import Node, Term, compile_node, evaluate, parse, terms
from monitor.match.text import Tokens, is_cyrillic, stem, term_tokens
from monitor.models import Match, TermHit

SNIPPET = 160
MIN_CYRILLIC_STEM = 4


@dataclass(frozen=True, slots=True)
class _Literal:
    """One pattern in the automaton and how a hit on it is checked."""

    mode: str  # exact | stem | prefix
    stem: str  # for mode "stem": the stem every matched word must have
    term: int  # index into Matcher.terms
    field: str | None  # the term's field scope
    length: int  # tokens the term covers


@dataclass(slots=True)
class _Rule:
    config: RuleConfig
    node: Node
    terms: list[Term]
    term_ids: list[int]
    test: Callable[[Container[int]], bool]
    feeds: frozenset[str]
    tags: frozenset[str]


class Matcher:
    """The compiled rules. ``match`` is pure and thread-safe (the automaton is read-only)."""

    def __init__(
        self, automaton: ahocorasick.Automaton | None, rules: list[_Rule], terms: list[Term]
    ) -> None:
        self._automaton = automaton
        self._rules = rules
        self._terms = terms
        self._rules_by_term: dict[int, list[int]] = defaultdict(list)
        for index, rule in enumerate(rules):
            for term_id in rule.term_ids:
                self._rules_by_term[term_id].append(index)

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
        # Hits are kept raw (token positions) until a rule fires: most hits fire nothing.
        raw: dict[int, list[tuple[str, int, int]]] = defaultdict(list)
        scanned = {}
        for field, text in (("title", title), ("summary", summary)):
            if text:
                scanned[field] = (text, self._scan(field, text, raw))
        if not raw:
            return []
        candidates = sorted({i for term_id in raw for i in self._rules_by_term.get(term_id, ())})
        matches = []
        for index in candidates:
            rule = self._rules[index]
            if rule.feeds and not ({feed_name, feed_url} & rule.feeds):
                continue
            if rule.tags and not (rule.tags & set(tags)):
                continue
            if not rule.test(raw):
                continue
            found = []
            for term, term_id in zip(rule.terms, rule.term_ids, strict=True):
                for field, at, length in raw.get(term_id, ()):
                    text, tokens = scanned[field]
                    first = tokens.token_at(at)
                    lo, hi = tokens.original_span(first, first + length - 1)
                    found.append(TermHit(term.display, text[lo:hi], field, lo, hi))
            found.sort(key=lambda h: (h.field != "title", h.start))
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

    def _scan(self, field: str, text: str, raw: dict[int, list[tuple[str, int, int]]]) -> Tokens:
        assert self._automaton is not None
        tokens = Tokens(text)
        line = tokens.text
        size = len(line)
        for end, (pattern_length, literals) in self._automaton.iter(line):
            start = end - pattern_length + 2  # the pattern's leading space is not the term
            for literal in literals:
                if literal.field is not None and literal.field != field:
                    continue
                if literal.mode == "exact":
                    if end + 1 >= size or line[end + 1] != " ":
                        continue
                elif literal.mode == "stem" and stem(tokens.word(start)) != literal.stem:
                    continue
                raw[literal.term].append((field, start, literal.length))
        return tokens


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


def _literals(term: Term, entities: dict[str, EntityConfig]) -> list[tuple[str, str, str]]:
    """The automaton patterns of one term: (pattern, mode, stem)."""
    if term.kind == "entity":
        entity = entities[term_tokens(term.value)]
        out = []
        for spelling in dict.fromkeys([entity.name, *entity.aliases]):
            folded = term_tokens(spelling)
            if not folded:
                continue
            out.append((folded, "exact", ""))
            if is_cyrillic(folded) and " " not in folded:
                root = stem(folded)
                if len(root) >= MIN_CYRILLIC_STEM and root != folded:
                    out.append((root, "stem", root))
        return out
    folded = term_tokens(term.value)
    if term.kind == "prefix":
        return [(folded, "prefix", "")]
    if term.kind == "phrase" or " " in folded:
        return [(folded, "exact", "")]
    root = stem(folded)
    if is_cyrillic(folded) and len(root) < MIN_CYRILLIC_STEM:
        return [(folded, "exact", "")]
    # The stem is a prefix of every inflection that shares it; the check runs on the whole word.
    return [(root, "stem", root)]


def _entity_table(entities: Sequence[EntityConfig]) -> dict[str, EntityConfig]:
    table: dict[str, EntityConfig] = {}
    for entity in entities:
        for spelling in (entity.name, *entity.aliases):
            table.setdefault(term_tokens(spelling), entity)
    return table


def compile_rules(rules: Sequence[RuleConfig], entities: Sequence[EntityConfig]) -> Matcher:
    """Parse every query and build one automaton of every literal (``RuleError`` if bad)."""
    table = _entity_table(entities)
    compiled: list[_Rule] = []
    term_ids: dict[Term, int] = {}
    patterns: dict[str, list[_Literal]] = defaultdict(list)
    for rule in rules:
        node = parse(rule.query)
        rule_terms = list(dict.fromkeys(terms(node)))
        ids = []
        for term in rule_terms:
            if term in term_ids:
                ids.append(term_ids[term])
                continue
            if term.kind == "entity" and term_tokens(term.value) not in table:
                raise RuleError(f"no entity named {term.value!r}", term.position)
            term_id = term_ids[term] = len(term_ids)
            ids.append(term_id)
            for pattern, mode, root in _literals(term, table):
                length = pattern.count(" ") + 1 if mode == "exact" else 1
                patterns[pattern].append(_Literal(mode, root, term_id, term.field, length))
        test = compile_node(node, term_ids)
        compiled.append(
            _Rule(rule, node, rule_terms, ids, test, frozenset(rule.feeds), frozenset(rule.tags))
        )
    all_terms = list(term_ids)
    if not patterns:
        return Matcher(None, compiled, all_terms)
    automaton = ahocorasick.Automaton()
    for pattern, literals in patterns.items():
        # A leading space: a pattern can only match where a token starts.
        automaton.add_word(" " + pattern, (len(pattern) + 1, tuple(literals)))
    automaton.make_automaton()
    return Matcher(automaton, compiled, all_terms)


def validate_rules(rules: Sequence[RuleConfig], entities: Sequence[EntityConfig]) -> list[str]:
    """Every problem of the rules and entities, each with its location in the config."""
    problems: list[str] = []
    table = _entity_table(entities)
    seen_entities: dict[str, int] = {}
    for i, entity in enumerate(entities):
        key = term_tokens(entity.name)
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
            if term.kind == "entity" and term_tokens(term.value) not in table:
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
