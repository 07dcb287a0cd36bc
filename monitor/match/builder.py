"""Terms and rules of a config, each made once and shared, then the ``Matcher``.

A term (Putin, @"Volodymyr Zelensky", "peace talks") is made of literals (``literals.py``);
the same term is shared by every rule that uses it. Compiling runs once per config, but over
100k terms it must stay well under a second: the usual term (a bare keyword) takes a short
path, with the same result as the general one.
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.errors import RuleError
from monitor.match.compiled import (
    CompiledRule,
    CompiledTerm,
    LiteralTable,
    RuleTest,
    TermTable,
    compiled_rule,
    compiled_term,
)
from monitor.match.config import EntityConfig, RuleConfig
from monitor.match.literals import Literals
from monitor.match.logic import Groups, TermIds, compile_node, groups_in_order, groups_test
from monitor.match.matcher import Matcher
from monitor.match.query import parse_terms
from monitor.match.syntax import Term
from monitor.match.text import closed_up, marked_words, term_words, written_words
from monitor.match.triggers import Query, checks, triggers
from monitor.textfold import compared_feed

MATCHES_NOTHING_SPECIFIC = (
    "this query would match items that contain none of its terms "
    "(a query needs at least one term that must be present; NOT alone is not enough)"
)
_NOWHERE: frozenset[str] = frozenset()


def entity_key(name: str) -> str:
    """How ``@Name`` finds its entity: folded words, so @zelensky = @Zelensky."""
    return " ".join(term_words(name))


def entity_table(entities: Sequence[EntityConfig]) -> dict[str, EntityConfig]:
    """What ``@Name`` means, by folded spelling: an entity's own name before another's alias
    (``@Putin`` is the entity named Putin, not "Vladimir Putin" whose alias it is); an alias
    that two entities share means the first (``shared_aliases``: a rule may not use it)."""
    table = {entity_key(entity.name): entity for entity in reversed(entities)}
    for entity in entities:
        for alias in entity.aliases:
            table.setdefault(entity_key(alias), entity)
    return table


def shared_aliases(entities: Sequence[EntityConfig]) -> dict[str, list[int]]:
    """Folded aliases that two entities or more have and no entity has as its name: the
    entities (by index) that ``@`` such an alias could mean."""
    names = {entity_key(entity.name) for entity in entities}
    having: dict[str, list[int]] = {}
    for i, entity in enumerate(entities):
        for key in dict.fromkeys(entity_key(alias) for alias in entity.aliases):
            if key and key not in names:
                having.setdefault(key, []).append(i)
    return {key: owners for key, owners in having.items() if len(owners) > 1}


class Builder:
    """The literals, terms and rules of a config, each made once, then the ``Matcher``."""

    def __init__(self, entities: dict[str, EntityConfig]) -> None:
        self.literals = Literals()
        self.entities = entities
        # By term id: as the user wrote it; the term, or None for a simple one (one literal,
        # found anywhere: found literal = found term).
        self.labels: list[str] = []
        self.terms: list[CompiledTerm | None] = []
        self.several: list[int] = []  # terms with a sequence of several literals
        self.uses: list[int] = []  # term id -> how many rules use it (a rule's cost)
        self.keywords: dict[str, int] = {}  # folded word -> its term, for bare keywords
        self.term_ids: dict[object, int] = {}
        self.spellings: dict[int, tuple[tuple[int, ...], ...]] = {}  # id(entity) -> literals
        # Each rule's query, term ids and groups: to choose what checks a rule.
        self.queries: list[Query] = []

    def keyword(self, value: str, word: str) -> int:
        """The term of a bare keyword (the usual term): one literal, found by its word."""
        written = written_words(value) if value != word else None
        if written is not None:  # "Fed", "US": a term of its own, matched with its capitals
            term_id = self.keywords.get(value)
            if term_id is None:
                literal = self.literals.cased_word(word, written[0], "keyword")
                term_id = self.keywords[value] = self.add(CompiledTerm(value, ((literal,),)))
            return term_id
        term_id = self.keywords.get(word)
        if term_id is None:
            if word.isascii() and word.isalnum():
                return self.english_keyword(value, word)
            term_id = self.keywords[word] = self.add(
                CompiledTerm(value, ((self.literals.word(word, "keyword"),),))
            )
        return term_id

    def english_keyword(self, value: str, word: str) -> int:
        """A new keyword of ASCII letters and digits: ``keyword`` and ``add`` in one (most
        terms of most rules are such keywords)."""
        literals = self.literals
        literal = literals.stem_literal(word)
        term_id = self.keywords[word] = len(self.terms)
        self.labels.append(value)
        self.terms.append(None)
        self.uses.append(0)
        literals.shared[literal] += 1
        triggered = literals.single[literal]
        if triggered is None:
            literals.single[literal] = (term_id,)
            literals.direct[literal] = term_id
        else:  # a literal of several terms ("Putin" and "putin" are two): rare
            literals.single[literal] = (*triggered, term_id)
            literals.direct[literal] = -1
        return term_id

    def term(self, term: Term) -> int:
        kind, value, words, field, slop, position = term
        if kind == "word" and field is None and len(words) == 1:
            return self.keyword(value, words[0])
        written = None if kind == "entity" else written_words(value)
        key = (kind, value if kind == "entity" else words, field, slop, written)
        term_id = self.term_ids.get(key)
        if term_id is not None:
            return term_id
        word = self.literals.word
        if kind == "entity":
            alternatives = self.entity(value, position)
        elif written is not None:  # written with capitals: "Fed", "U.S. sanctions", Apple*
            # A quoted phrase is exact, one word or more ("Ёлка" as "Fed" already was).
            how = "keyword" if kind == "word" and len(words) == 1 else kind
            how = "exact" if how in ("word", "phrase") else how
            cased = self.literals.cased_word
            alternatives = (tuple([cased(w, c, how) for w, c in zip(words, written, strict=True)]),)
        elif kind == "prefix":
            alternatives = ((self.literals.literal("prefix", words[0]),),)
        elif kind == "word" and len(words) == 1:
            alternatives = ((word(words[0], "keyword"),),)
        else:  # a "quoted phrase", or a hyphenated word: peace-talks = "peace talks"
            alternatives = (tuple([word(w, "exact") for w in words]),)
        term_id = self.term_ids[key] = self.add(
            compiled_term((term.display, alternatives, field, slop))
        )
        return term_id

    def entity(self, name: str, position: int) -> tuple[tuple[int, ...], ...]:
        """Every spelling of the entity ``@name`` as a sequence of literals."""
        entity = self.entities.get(entity_key(name))
        if entity is None:
            raise RuleError(f"no entity named {name!r} (define it in [[entities]])", position)
        alternatives = self.spellings.get(id(entity))
        if alternatives is None:
            word, cased = self.literals.word, self.literals.cased_word
            # Each sequence once, in order: two spellings may fold alike.
            sequences: dict[tuple[int, ...], None] = {}
            for spelling in (entity.name, *entity.aliases):
                words = term_words(spelling)
                written = written_words(spelling)  # "US", "Theresa May": with capitals
                if written is not None:
                    sequences[
                        tuple([cased(w, c, "alias") for w, c in zip(words, written, strict=True)])
                    ] = None
                elif words:
                    sequences[tuple([word(w, "alias") for w in words])] = None
                marked = marked_words(spelling)  # "Mt. Gox": also with its dot, as written
                if marked is not None:
                    marks, cases = marked
                    variants = [(marks, cases)]
                    for initials in (False, True):  # "Mt.Gox", and "J.K. Rowling" of "J. K."
                        shut = closed_up(marks, initials)
                        if shut is not None and all(shut != v for v, _ in variants):
                            shut_cases = None if cases is None else closed_up(cases, initials)
                            variants.append((shut, shut_cases))
                    for words, written in variants:
                        if written is None:
                            sequences[tuple([word(w, "alias") for w in words])] = None
                        else:
                            pairs = zip(words, written, strict=True)
                            sequences[tuple([cased(w, c, "alias") for w, c in pairs])] = None
            alternatives = self.spellings[id(entity)] = tuple(sequences)
        return alternatives

    def add(self, term: CompiledTerm) -> int:
        term_id = len(self.terms)
        self.labels.append(term.label)
        self.uses.append(0)
        literals = self.literals
        alternatives = term.alternatives
        if len(alternatives) == 1 and len(alternatives[0]) == 1:  # most terms: one literal
            literal = alternatives[0][0]
            literals.shared[literal] += 1
            simple = term.field is None and term.slop is None
            self.terms.append(None if simple else term)
            triggered = literals.single[literal]
            if triggered is None:
                literals.single[literal] = (term_id,)
                if simple:
                    literals.direct[literal] = term_id
            else:
                literals.single[literal] = (*triggered, term_id)
                literals.direct[literal] = -1
            return term_id
        shared = literals.shared
        for words in alternatives:
            for literal in words:
                shared[literal] += 1
        self.terms.append(term)
        self.several.append(term_id)
        return term_id

    def rules(self, rules: Sequence[RuleConfig]) -> list[CompiledRule]:
        """Every rule compiled, in order; ``RuleError`` names the first that does not compile."""
        return [self.rule(i, rule) for i, rule in enumerate(rules)]

    def rule(self, i: int, rule: RuleConfig) -> CompiledRule:
        try:
            tree, listed, negated = parse_terms(rule.query)
            order: list[int] = []  # the term id of each term, in the query's order
            uses = self.uses
            keywords = self.keywords
            for term in listed:
                kind, value, words, field, _, _ = term
                if kind == "word" and field is None and len(words) == 1:  # most terms
                    word = words[0]
                    plain = value is word or value == word  # not "Fed": most terms
                    term_id = keywords.get(word) if plain else None
                    if term_id is None:
                        if plain and word.isascii() and word.isalnum():
                            term_id = self.english_keyword(value, word)
                        else:
                            term_id = self.keyword(value, word)
                else:
                    term_id = self.term(term)
                order.append(term_id)
                uses[term_id] += 1  # a term twice in one query counts twice: rare
            sets = groups_in_order(tree, order)
            ids: TermIds | None = None
            if sets is None:
                ids = {term.position: term_id for term, term_id in zip(listed, order, strict=True)}
                test = compile_node(tree, ids)
                if test(frozenset()):
                    raise RuleError(MATCHES_NOTHING_SPECIFIC, 0)
            else:  # the usual shape, which always needs some term
                test = groups_test(sets)
        except RuleError as exc:
            raise RuleError(f"rules[{i}] ({rule.name}): {exc.message}", exc.position) from None
        # The tree only where the groups do not say it all: every rule's tree kept to the end
        # of the compile is that many more objects for the cycle collector to walk again.
        self.queries.append((tree, ids, None) if ids is not None else (None, None, sets))
        # The terms that count when the rule fires: not those under a NOT.
        counted = (
            order
            if not negated
            else [t for term, t in zip(listed, order, strict=True) if term.position not in negated]
        )
        return compiled(rule, test, sets, tuple(dict.fromkeys(counted)))

    def matcher(self, rules: list[CompiledRule]) -> Matcher:
        literals = self.literals
        automaton = literals.automaton()
        if automaton is None:
            return Matcher(None, rules, TermTable([], [], [], []), LiteralTable([], []))
        triggered_by = triggers(
            self.terms, self.several, literals.shared, literals.single, literals.direct
        )
        pairs, others = checks(self.queries, rules, self.uses, len(self.terms))
        return Matcher(
            automaton,
            rules,
            TermTable(self.labels, self.terms, pairs, others),
            LiteralTable(literals.direct, triggered_by),
            literals.cased,
        )


def compiled(
    rule: RuleConfig, test: RuleTest, sets: Groups | None, terms: tuple[int, ...]
) -> CompiledRule:
    if not rule.feeds and not rule.tags:  # most rules are for every feed
        return compiled_rule((rule, test, sets, terms, _NOWHERE, _NOWHERE))
    return compiled_rule(
        (
            rule,
            test,
            sets,
            terms,
            frozenset(compared_feed(f) for f in rule.feeds) if rule.feeds else _NOWHERE,
            frozenset(t.casefold() for t in rule.tags) if rule.tags else _NOWHERE,
        )
    )
