"""Terms and rules of a config, each made once and shared, then the ``Matcher``.

A term (Putin, @"Volodymyr Zelensky", "peace talks") is made of literals (``literals.py``);
the same term is shared by every rule that uses it. Compiling runs once per config, but over
100k terms it must stay well under a second: the usual query (``usual.py``) and the usual
term (a bare keyword) take short paths, with the same results as the general ones
(tests/test_match_compile.py compares the two).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

from monitor.errors import RuleError
from monitor.match.config import EntityConfig, RuleConfig
from monitor.match.literals import Literals
from monitor.match.matcher import Check, CompiledRule, CompiledTerm, Matcher, RuleTest
from monitor.match.query import Groups, Term, compile_node, groups, groups_test, parse_terms
from monitor.match.text import term_words
from monitor.match.triggers import Query, checks, triggers
from monitor.match.usual import usual_groups

MATCHES_NOTHING_SPECIFIC = (
    "this query would match items that contain none of its terms "
    "(a query needs at least one term that must be present; NOT alone is not enough)"
)
_NOWHERE: frozenset[str] = frozenset()


def entity_key(name: str) -> str:
    """How ``@Name`` finds its entity: folded words, so @zelensky = @Zelensky."""
    return " ".join(term_words(name))


def entity_table(entities: Sequence[EntityConfig]) -> dict[str, EntityConfig]:
    table: dict[str, EntityConfig] = {}
    for entity in entities:  # the first entity to claim a spelling keeps it
        for spelling in (entity.name, *entity.aliases):
            table.setdefault(entity_key(spelling), entity)
    return table


class Builder(Literals):
    """The literals, terms and rules of a config, each made once, then the ``Matcher``."""

    def __init__(self, entities: dict[str, EntityConfig], usual: bool = True) -> None:
        super().__init__()
        self.entities = entities
        self.usual = usual  # take the short path for queries of the usual shape
        # By term id: as the user wrote it; the term, or None for a simple one (one literal,
        # found anywhere: found literal = found term).
        self.labels: list[str] = []
        self.terms: list[CompiledTerm | None] = []
        self.several: list[int] = []  # terms with a sequence of several literals
        self.uses: list[int] = []  # term id -> how many rules use it (a rule's cost)
        self.keywords: dict[str, int] = {}  # folded word -> its term, for bare keywords
        self.written: dict[str, int] = {}  # a usual query's term as written -> its term
        self.term_ids: dict[object, int] = {}
        self.spellings: dict[int, tuple[tuple[int, ...], ...]] = {}  # id(entity) -> literals
        # Each rule's query, term ids and groups: to choose what checks a rule.
        self.queries: list[Query] = []

    def keyword(self, value: str, word: str) -> int:
        """The term of a bare keyword (the usual term): one literal, found by its word."""
        term_id = self.keywords.get(word)
        if term_id is None:
            if word.isascii() and word.isalnum():
                return self.english_keyword(value, word)
            term_id = self.keywords[word] = self.add(
                CompiledTerm(value, ((self.word(word, "keyword"),),))
            )
        return term_id

    def english_keyword(self, value: str, word: str) -> int:
        """A new keyword of ASCII letters and digits: ``keyword``, ``word``, ``literal`` and
        ``add`` in one (most terms of most rules are such keywords)."""
        literal = self.stem_literal(word)
        term_id = self.keywords[word] = len(self.terms)
        self.labels.append(value)
        self.terms.append(None)
        self.uses.append(0)
        self.shared[literal] += 1
        triggered = self.single[literal]
        if triggered is None:
            self.single[literal] = (term_id,)
            self.direct[literal] = term_id
        else:  # a literal of several terms ("Putin" and "putin" are two): rare
            self.single[literal] = (*triggered, term_id)
            self.direct[literal] = -1
        return term_id

    def term(self, term: Term) -> int:
        kind = term.kind
        if kind == "word" and term.field is None and len(term.words) == 1:
            return self.keyword(term.value, term.words[0])
        key = (kind, term.value if kind == "entity" else term.words, term.field, term.slop)
        term_id = self.term_ids.get(key)
        if term_id is not None:
            return term_id
        if kind == "entity":
            alternatives = self.entity(term.value, term.position)
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

    def entity(self, name: str, position: int) -> tuple[tuple[int, ...], ...]:
        """Every spelling of the entity ``@name`` as a sequence of literals."""
        entity = self.entities.get(entity_key(name))
        if entity is None:
            raise RuleError(f"no entity named {name!r} (define it in [[entities]])", position)
        return self.spellings_of(entity)

    def spellings_of(self, entity: EntityConfig) -> tuple[tuple[int, ...], ...]:
        alternatives = self.spellings.get(id(entity))
        if alternatives is None:
            word = self.word
            # Each sequence once, in order: two spellings may fold alike.
            sequences: dict[tuple[int, ...], None] = {}
            for spelling in (entity.name, *entity.aliases):
                words = term_words(spelling)
                if words:
                    sequences[tuple([word(w, "alias") for w in words])] = None
            alternatives = self.spellings[id(entity)] = tuple(sequences)
        return alternatives

    def written_term(self, written: str) -> int | None:
        """The term of a usual query's term as written; None if it is an error (or, rarely,
        a word for the full parser)."""
        if written[0] == '"':
            return self.phrase(written[1:-1])
        if written[0] == "@":
            return self.named(written[2:-1].strip() if written[1] == '"' else written[1:])
        if written.isascii():  # letters and digits (usual_groups)
            word = written.lower()
            term_id = self.keywords.get(word)
            return self.english_keyword(written, word) if term_id is None else term_id
        words = term_words(written)
        if len(words) == 1:
            return self.keyword(written, words[0])
        return None  # a word that folds to several ("ﷺ"): for the full parser

    def phrase(self, text: str) -> int | None:
        """``term`` for "a phrase" of a usual query; None if it has no word."""
        words = term_words(text)
        if not words:
            return None
        key = ("phrase", words, None, None)
        term_id = self.term_ids.get(key)
        if term_id is None:
            label = '"' + " ".join(text.split()) + '"'
            sequence = tuple([self.word(w, "exact") for w in words])
            term_id = self.term_ids[key] = self.add(CompiledTerm(label, (sequence,)))
        return term_id

    def named(self, name: str) -> int | None:
        """``term`` for @name of a usual query; None if no entity has that name."""
        key = ("entity", name, None, None)
        term_id = self.term_ids.get(key)
        if term_id is None:
            entity = self.entities.get(entity_key(name))
            if entity is None:
                return None
            label = f'@"{name}"' if " " in name else f"@{name}"
            alternatives = self.spellings_of(entity)
            term_id = self.term_ids[key] = self.add(CompiledTerm(label, alternatives))
        return term_id

    def add(self, term: CompiledTerm) -> int:
        term_id = len(self.terms)
        self.labels.append(term.label)
        self.uses.append(0)
        alternatives = term.alternatives
        if len(alternatives) == 1 and len(alternatives[0]) == 1:  # most terms: one literal
            literal = alternatives[0][0]
            self.shared[literal] += 1
            simple = term.field is None and term.slop is None
            self.terms.append(None if simple else term)
            triggered = self.single[literal]
            if triggered is None:
                self.single[literal] = (term_id,)
                if simple:
                    self.direct[literal] = term_id
            else:
                self.single[literal] = (*triggered, term_id)
                self.direct[literal] = -1
            return term_id
        shared = self.shared
        for words in alternatives:
            for literal in words:
                shared[literal] += 1
        self.terms.append(term)
        self.several.append(term_id)
        return term_id

    def rules(self, rules: Sequence[RuleConfig]) -> list[CompiledRule]:
        """Every rule compiled, in order; ``RuleError`` names the first that does not compile.

        Runs of queries of the usual shape are compiled together (``usual_run``); terms and
        literals are made in the same order either way.
        """
        compiled: list[CompiledRule] = []
        run: list[tuple[int, list[list[str]]]] = []
        for i, rule in enumerate(rules):
            written = usual_groups(rule.query) if self.usual else None
            if written is not None:
                run.append((i, written))
                continue
            self.usual_run(rules, run, compiled)
            run = []
            compiled.append(self.rule(i, rule))
        self.usual_run(rules, run, compiled)
        return compiled

    def rule(self, i: int, rule: RuleConfig) -> CompiledRule:
        """One rule by the full parser."""
        try:
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
                    raise RuleError(MATCHES_NOTHING_SPECIFIC, 0)
            else:  # the usual shape, which always needs some term
                test = groups_test(sets)
        except RuleError as exc:
            raise RuleError(f"rules[{i}] ({rule.name}): {exc.message}", exc.position) from None
        self.queries.append((node, ids, sets))
        counted = tuple(dict.fromkeys(ids[term] for term, positive in listed if positive))
        return self.compiled(rule, test, sets, counted)

    def usual_run(
        self,
        rules: Sequence[RuleConfig],
        run: list[tuple[int, list[list[str]]]],
        compiled: list[CompiledRule],
    ) -> None:
        """Rules of the usual shape: each term as written made once, in order of first
        appearance (as rule by rule would), then each rule from its terms' ids. A rule with a
        term the short path cannot make goes to the full parser where it stands, and the run
        goes on after it (a loop, not a call per such rule: a thousand of them must not
        exhaust the stack)."""
        known = self.written
        start = 0
        while start < len(run):
            run_ids: list[list[list[int]]] = []
            for n in range(start, len(run)):
                i, written = run[n]
                groups_ids = []
                for group in written:
                    ids = []
                    for term in group:
                        term_id = known.get(term)
                        if term_id is None:
                            term_id = self.written_term(term)
                            if term_id is None:
                                break  # most often an error: the full parser says which
                            known[term] = term_id
                        ids.append(term_id)
                    else:
                        groups_ids.append(ids)
                        continue
                    break
                else:
                    run_ids.append(groups_ids)
                    continue
                self._emit(rules, run[start:n], run_ids, compiled)
                compiled.append(self.rule(i, rules[i]))
                start = n + 1
                break
            else:
                self._emit(rules, run[start:], run_ids, compiled)
                return

    def _emit(
        self,
        rules: Sequence[RuleConfig],
        run: list[tuple[int, list[list[str]]]],
        run_ids: list[list[list[int]]],
        compiled: list[CompiledRule],
    ) -> None:
        """The compiled rules of a run whose terms are all made (``run_ids``)."""
        uses = self.uses
        queries = self.queries
        for (i, _), groups_ids in zip(run, run_ids, strict=True):
            every = list(chain.from_iterable(groups_ids))
            for term_id in every:
                uses[term_id] += 1
            sets = tuple(map(frozenset, groups_ids))
            queries.append((None, None, sets))
            rule = rules[i]
            counted = tuple(dict.fromkeys(every))
            if rule.feeds or rule.tags:
                compiled.append(self.compiled(rule, groups_test(sets), sets, counted))
            else:  # self.compiled inlined: most rules are for every feed
                compiled.append(
                    CompiledRule(rule, groups_test(sets), sets, counted, _NOWHERE, _NOWHERE)
                )

    @staticmethod
    def compiled(
        rule: RuleConfig, test: RuleTest, sets: Groups | None, terms: tuple[int, ...]
    ) -> CompiledRule:
        return CompiledRule(
            rule,
            test,
            sets,
            terms,
            frozenset(f.casefold().rstrip("/") for f in rule.feeds) if rule.feeds else _NOWHERE,
            frozenset(t.casefold() for t in rule.tags) if rule.tags else _NOWHERE,
        )

    def matcher(self, rules: list[CompiledRule]) -> Matcher:
        if not self.shared:
            return Matcher(None, rules, self.labels, self.terms, [], [], [], {})
        triggered_by = self.triggers()  # before self.direct is read: it completes it
        pairs, others = self.checks(rules)
        automaton = self.automaton()
        return Matcher(
            automaton, rules, self.labels, self.terms, triggered_by, self.direct, pairs, others
        )

    def checks(
        self, rules: list[CompiledRule]
    ) -> tuple[list[Sequence[tuple[int, frozenset[int]]]], dict[int, list[Check]]]:
        """``triggers.checks`` of the rules compiled."""
        return checks(self.queries, rules, self.uses, len(self.terms))

    def triggers(self) -> list[Sequence[int]]:
        """``triggers.triggers`` of the terms made."""
        return triggers(self.terms, self.several, self.shared, self.single, self.direct)
