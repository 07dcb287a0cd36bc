"""Rules and entities to a ``Matcher``: every literal of every rule in one automaton.

A literal is one folded word and how a hit on it is checked (exact, stem or prefix); the
same literal is shared by every term and rule that uses it, and so is the same term.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence

import ahocorasick

from monitor.errors import RuleError
from monitor.match.config import EntityConfig, RuleConfig
from monitor.match.matcher import CompiledRule, CompiledTerm, Matcher
from monitor.match.query import (
    Groups,
    Node,
    Term,
    cheapest,
    compile_node,
    groups,
    groups_test,
    necessary,
    parse_terms,
)
from monitor.match.text import boundaries, is_cyrillic, stem, stem_keys, term_words

# A Cyrillic word is matched by its Russian stem only when the stem keeps this many letters:
# shorter stems catch unrelated words ("Киев" stems to "ки").
MIN_CYRILLIC_STEM = 4


def entity_key(name: str) -> str:
    """How ``@Name`` finds its entity: folded words, so @zelensky = @Zelensky."""
    return " ".join(term_words(name))


def _entity_table(entities: Sequence[EntityConfig]) -> dict[str, EntityConfig]:
    table: dict[str, EntityConfig] = {}
    for entity in entities:  # the first entity to claim a spelling keeps it
        for spelling in (entity.name, *entity.aliases):
            table.setdefault(entity_key(spelling), entity)
    return table


class _Builder:
    def __init__(self, entities: dict[str, EntityConfig]) -> None:
        self.entities = entities
        self.literals: dict[tuple[str, str], int] = {}  # (mode, word or stem) -> literal
        # automaton key -> [(mode, word or stem, literal)]
        self.patterns: dict[str, list[tuple[str, str, int]]] = {}
        self.terms: list[CompiledTerm] = []
        self.keywords: dict[str, int] = {}  # folded word -> its term, for bare keywords
        # how (keyword, alias, exact) -> word -> its literal: most words come back often.
        self.words: dict[str, dict[str, int]] = {"keyword": {}, "alias": {}, "exact": {}}
        self.term_ids: dict[object, int] = {}
        self.uses: list[int] = []  # term id -> how many rules use it (a rule's cost)
        self.shared: list[int] = []  # literal id -> how many terms use it
        self.spellings: dict[int, tuple[tuple[int, ...], ...]] = {}  # id(entity) -> literals
        # Each rule's query, term ids and groups: to choose what checks a rule.
        self.queries: list[tuple[Node, dict[Term, int], Groups | None]] = []

    def literal(self, mode: str, word: str) -> int:
        target = stem(word) if mode == "stem" else word
        literal = self.literals.get((mode, target))
        if literal is not None:
            return literal
        literal = self.literals[(mode, target)] = len(self.literals)
        self.shared.append(0)
        for key in stem_keys(word, target) if mode == "stem" else (word,):
            entry = self.patterns.get(key)
            if entry is None:
                self.patterns[key] = [(mode, target, literal)]
            else:
                entry.append((mode, target, literal))
        return literal

    def word(self, word: str, how: str) -> int:
        """A literal for one word of a term: ``how`` is keyword, alias or exact."""
        known = self.words[how]
        literal = known.get(word)
        if literal is not None:
            return literal
        if how == "exact" or not word.isalnum():
            literal = self.literal("exact", word)
        elif is_cyrillic(word):  # Russian and Ukrainian decline names and nouns alike
            long_stem = len(stem(word)) >= MIN_CYRILLIC_STEM
            literal = self.literal("stem" if long_stem else "exact", word)
        else:
            literal = self.literal("stem" if how == "keyword" else "exact", word)
        known[word] = literal
        return literal

    def term(self, term: Term) -> int:
        kind = term.kind
        if kind == "word" and term.field is None and len(term.words) == 1:
            # The usual term, a bare keyword: one literal, looked up by its word alone.
            word = term.words[0]
            term_id = self.keywords.get(word)
            if term_id is None:
                literal = self.word(word, "keyword")
                term_id = self.add(CompiledTerm(term.value, ((literal,),)))
                self.keywords[word] = term_id
            return term_id
        key = (kind, term.value if kind == "entity" else term.words, term.field, term.slop)
        term_id = self.term_ids.get(key)
        if term_id is not None:
            return term_id
        if kind == "entity":
            entity = self.entities.get(entity_key(term.value))
            if entity is None:
                raise RuleError(
                    f"no entity named {term.value!r} (define it in [[entities]])", term.position
                )
            alternatives = self.spellings.get(id(entity), ())
            if not alternatives:
                spellings = (term_words(s) for s in (entity.name, *entity.aliases))
                alternatives = self.spellings[id(entity)] = tuple(
                    dict.fromkeys(
                        tuple(self.word(w, "alias") for w in ws) for ws in spellings if ws
                    )
                )
        elif kind == "prefix":
            alternatives = ((self.literal("prefix", term.words[0]),),)
        elif kind == "word" and len(term.words) == 1:
            alternatives = ((self.word(term.words[0], "keyword"),),)
        else:  # a "quoted phrase", or a hyphenated word: peace-talks = "peace talks"
            alternatives = (tuple(self.word(w, "exact") for w in term.words),)
        term_id = self.term_ids[key] = self.add(
            CompiledTerm(term.display, alternatives, term.field, term.slop)
        )
        return term_id

    def add(self, term: CompiledTerm) -> int:
        for words in term.alternatives:
            for literal in words:
                self.shared[literal] += 1
        self.terms.append(term)
        self.uses.append(0)
        return len(self.terms) - 1

    def rule(self, rule: RuleConfig) -> CompiledRule:
        node, listed = parse_terms(rule.query)
        ids = {}
        uses = self.uses
        for term, _ in listed:
            ids[term] = term_id = self.term(term)
            uses[term_id] += 1  # a term twice in one query counts twice: rare
        sets = groups(node, ids)
        if sets is None:
            test = compile_node(node, ids)
            if test(frozenset()):
                raise RuleError(_MATCHES_NOTHING_SPECIFIC, 0)
        else:  # the usual shape, which always needs some term
            test = groups_test(sets)
        self.queries.append((node, ids, sets))
        return CompiledRule(
            config=rule,
            test=test,
            groups=sets,
            terms=tuple(dict.fromkeys(ids[term] for term, positive in listed if positive)),
            feeds=frozenset(f.casefold().rstrip("/") for f in rule.feeds),
            tags=frozenset(t.casefold() for t in rule.tags),
        )

    def matcher(self, rules: list[CompiledRule]) -> Matcher:
        if not self.patterns:
            return Matcher(None, rules, self.terms, {}, [])
        # Keys carry the spaces of ``boundaries``: " word " is found only as a whole word,
        # " stem" and " prefix" only where a word starts. Payload (kind, length, a, b), the
        # usual kinds first: 0, one word (a: its literal); 1, one stem (a: the stem, b: its
        # literal); 2, whole words (a: literals, b: words to check against the text); 3, word
        # starts (a: (stem, literal) pairs, b: prefix literals).
        automaton = ahocorasick.Automaton()
        add = automaton.add_word
        # Words with punctuation share a key when only their punctuation differs ("1.5",
        # "1,5"): one key with every such word, each checked against the text.
        checked: dict[str, list[tuple[str, int]]] = {}
        for key, entries in self.patterns.items():
            if len(entries) == 1 and key.isalnum():  # the usual case, built without passes
                mode, root, literal = entries[0]
                if mode == "exact":
                    add(f" {key} ", (0, len(key) + 2, literal, None))
                elif mode == "stem":
                    add(f" {key}", (1, len(key) + 1, root, literal))
                else:
                    add(f" {key}", (3, len(key) + 1, (), (literal,)))
                continue
            exact = tuple(literal for mode, _, literal in entries if mode == "exact")
            if exact:
                if not key.isalnum():  # "u.s.", "at&t": its boundaries, then the text checked
                    checked.setdefault(boundaries(key), []).extend((key, x) for x in exact)
                elif len(exact) == 1:  # a word that is also a stem or prefix ("kamiro")
                    add(f" {key} ", (0, len(key) + 2, exact[0], None))
                else:
                    add(f" {key} ", (2, len(key) + 2, exact, ()))
            if len(exact) == len(entries):
                continue
            stems = tuple((root, literal) for mode, root, literal in entries if mode == "stem")
            prefixes = tuple(literal for mode, _, literal in entries if mode == "prefix")
            if len(stems) == 1 and not prefixes:
                add(f" {key}", (1, len(key) + 1, *stems[0]))
            else:
                add(f" {key}", (3, len(key) + 1, stems, prefixes))
        for spaced, words in checked.items():
            add(spaced, (2, len(spaced), (), tuple(words)))
        automaton.make_automaton()
        return Matcher(automaton, rules, self.terms, self.triggers(), self.rule_triggers())

    def rule_triggers(self) -> list[tuple[int, ...]]:
        """For each rule, the terms whose finding makes it worth checking (``necessary``)."""
        cost = self.uses
        out = []
        for node, ids, sets in self.queries:
            needed = cheapest(sets, cost) if sets else necessary(node, ids, cost)
            # None: only odd queries such as NOT (NOT a AND NOT b); any of their terms then.
            out.append(tuple(set(ids.values()) if needed is None else needed))
        return out

    def triggers(self) -> dict[int, tuple[int, ...]]:
        """Which terms to check when a literal is found: each sequence of words is checked
        when its least shared word is found, so "the" in a hundred phrases ("The Hague",
        "the Kremlin") does not make every item check a hundred phrases."""
        shared = self.shared
        triggers: dict[int, dict[int, None]] = {}
        for term_id, term in enumerate(self.terms):
            for words in term.alternatives:
                rarest = words[0] if len(words) == 1 else min(words, key=shared.__getitem__)
                triggers.setdefault(rarest, {})[term_id] = None
        return {literal: tuple(ids) for literal, ids in triggers.items()}


_MATCHES_NOTHING_SPECIFIC = (
    "this query would match items that contain none of its terms "
    "(a query needs at least one term that must be present; NOT alone is not enough)"
)


def compile_rules(rules: Sequence[RuleConfig], entities: Sequence[EntityConfig]) -> Matcher:
    """Parse every query and build one automaton of every literal.

    ``RuleError`` (with the position in the query) names the first rule that does not
    compile; ``validate_rules`` lists every problem at once.
    """
    # Everything built here lives as long as the matcher: the cycle collector would walk
    # the growing heap again and again for nothing (it doubled the time at 100k terms).
    collecting = gc.isenabled()
    gc.disable()
    try:
        builder = _Builder(_entity_table(entities))
        compiled = []
        for i, rule in enumerate(rules):
            try:
                compiled.append(builder.rule(rule))
            except RuleError as exc:
                raise RuleError(f"rules[{i}] ({rule.name}): {exc.message}", exc.position) from None
        return builder.matcher(compiled)
    finally:
        if collecting:
            gc.enable()


def validate_rules(rules: Sequence[RuleConfig], entities: Sequence[EntityConfig]) -> list[str]:
    """Every problem of the rules and entities, each with its location in the config."""
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
    table = _entity_table(entities)
    seen_rules: dict[str, int] = {}
    for i, rule in enumerate(rules):
        if rule.name in seen_rules:
            problems.append(
                f"rules[{i}].name: duplicate rule name {rule.name!r} "
                f"(also rules[{seen_rules[rule.name]}])"
            )
        seen_rules.setdefault(rule.name, i)
        try:
            node, listed = parse_terms(rule.query)
        except RuleError as exc:
            problems.append(f"rules[{i}].query: {exc.message} at position {exc.position}")
            continue
        unknown = [
            term.value
            for term, _ in listed
            if term.kind == "entity" and entity_key(term.value) not in table
        ]
        for name in dict.fromkeys(unknown):
            problems.append(
                f"rules[{i}].query: no entity named {name!r} (define it in [[entities]])"
            )
        if not unknown and compile_node(node, {t: n for n, (t, _) in enumerate(listed)})(
            frozenset()
        ):
            problems.append(f"rules[{i}].query: {_MATCHES_NOTHING_SPECIFIC}")
    return problems
