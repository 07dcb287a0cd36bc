"""Terms and literals of every rule, shared, and the automaton that finds them.

A literal is one folded word and how a hit on it is checked (exact, stem or prefix); the
same literal is shared by every term and rule that uses it, and so is the same term.
Compiling runs once per config, but over 100k terms it must stay well under a second: the
usual query and the usual term (a bare keyword) take short paths, with the same results
as the general ones (tests/test_match_compile.py compares the two).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from itertools import chain

import ahocorasick

from monitor.errors import RuleError
from monitor.match.config import EntityConfig, RuleConfig
from monitor.match.matcher import Check, CompiledRule, CompiledTerm, Matcher, RuleTest
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
from monitor.match.text import (
    boundaries,
    english_stem,
    is_cyrillic,
    stem,
    stem_keys,
    term_words,
)
from monitor.match.usual import usual_groups

# A Cyrillic word is matched by its Russian stem only when the stem keeps this many letters:
# shorter stems catch unrelated words ("Киев" stems to "ки").
MIN_CYRILLIC_STEM = 4

MATCHES_NOTHING_SPECIFIC = (
    "this query would match items that contain none of its terms "
    "(a query needs at least one term that must be present; NOT alone is not enough)"
)
_NOWHERE: frozenset[str] = frozenset()
# An automaton key's payload, (kind, length, a, b), the usual kinds first: 0, one whole word
# (a: its literal); 1, one stem at a word start (a: the stem, b: its literal); 2, whole
# words (a: literals, b: (word, literal) to check against the text); 3, word starts (a:
# (stem, literal) pairs, b: prefix literals). ``Matcher._scan`` reads them.
Payload = tuple[int, int, object, object]


def entity_key(name: str) -> str:
    """How ``@Name`` finds its entity: folded words, so @zelensky = @Zelensky."""
    return " ".join(term_words(name))


def entity_table(entities: Sequence[EntityConfig]) -> dict[str, EntityConfig]:
    table: dict[str, EntityConfig] = {}
    for entity in entities:  # the first entity to claim a spelling keeps it
        for spelling in (entity.name, *entity.aliases):
            table.setdefault(entity_key(spelling), entity)
    return table


class Builder:
    def __init__(self, entities: dict[str, EntityConfig], usual: bool = True) -> None:
        self.entities = entities
        self.usual = usual  # take the short path for queries of the usual shape
        # Literals by mode: word, stem or prefix -> literal id.
        self.exact: dict[str, int] = {}
        self.stems: dict[str, int] = {}
        self.prefixes: dict[str, int] = {}
        # Automaton keys with their payloads, made with each literal. Keys carry the spaces of
        # ``boundaries``: " word " is found only as a whole word, " stem" and " prefix" only
        # where a word starts.
        self.whole: dict[str, Payload] = {}
        self.starts: dict[str, Payload] = {}
        # Words with punctuation share a key when only their punctuation differs ("1.5",
        # "1,5"): one key with every such word, each checked against the text.
        self.checked: dict[str, list[tuple[str, int]]] = {}
        # By literal id: how many terms use it; the one-literal terms it triggers (None: none);
        # the one simple term it is, if it is found as that term and nothing else (else -1).
        self.shared: list[int] = []
        self.single: list[tuple[int, ...] | None] = []
        self.direct: list[int] = []
        # By term id: as the user wrote it; the term, or None for a simple one (one literal,
        # found anywhere: found literal = found term).
        self.labels: list[str] = []
        self.terms: list[CompiledTerm | None] = []
        self.several: list[int] = []  # terms with a sequence of several literals
        self.uses: list[int] = []  # term id -> how many rules use it (a rule's cost)
        self.keywords: dict[str, int] = {}  # folded word -> its term, for bare keywords
        self.written: dict[str, int] = {}  # a usual query's term as written -> its term
        # how (keyword, alias, exact) -> word -> its literal: most words come back often.
        self.words: dict[str, dict[str, int]] = {"keyword": {}, "alias": {}, "exact": {}}
        self.term_ids: dict[object, int] = {}
        self.spellings: dict[int, tuple[tuple[int, ...], ...]] = {}  # id(entity) -> literals
        # Each rule's query, term ids and groups: to choose what checks a rule.
        self.queries: list[tuple[Node | None, dict[Term, int] | None, Groups | None]] = []

    def literal(self, mode: str, word: str) -> int:
        if mode == "stem":
            return self.stem_literal(word)
        table = self.exact if mode == "exact" else self.prefixes
        literal = table.get(word)
        if literal is not None:
            return literal
        literal = table[word] = self.new_literal()
        if mode == "prefix":
            self.start(word, None, literal)
        elif word.isalnum():  # one exact literal per word: the key is its own
            key = f" {word} "
            self.whole[key] = (0, len(key), literal, None)
        else:  # "u.s.", "at&t": its boundaries, then the folded text checked
            self.checked.setdefault(boundaries(word), []).append((word, literal))
        return literal

    def new_literal(self) -> int:
        self.shared.append(0)
        self.single.append(None)
        self.direct.append(-1)
        return len(self.shared) - 1

    def stem_literal(self, word: str) -> int:
        # English words straight to the stemmer: ``stem``'s cache is for text, and costs as
        # much as the stemmer on a miss.
        root = english_stem(word) if word.isascii() else stem(word)
        literal = self.stems.get(root)
        if literal is None:
            literal = self.stems[root] = self.new_literal()
            key = " " + root
            if root[-1:] != "i" and word.startswith(root) and key not in self.starts:
                self.starts[key] = (1, len(key), root, literal)  # stem_keys: (root,), a new key
            else:
                for key in stem_keys(word, root):
                    self.start(key, (root, literal), None)
        return literal

    def start(self, key: str, stem_of: tuple[str, int] | None, prefix: int | None) -> None:
        """A stem's or a prefix's literal found where a word starts with ``key``."""
        key = " " + key
        payload = self.starts.get(key)
        if payload is None:  # most keys: one literal
            if stem_of is not None:
                self.starts[key] = (1, len(key), *stem_of)
            else:
                self.starts[key] = (3, len(key), (), (prefix,))
            return
        kind, length, a, b = payload
        stems, prefixes = (((a, b),), ()) if kind == 1 else (a, b)
        assert isinstance(stems, tuple) and isinstance(prefixes, tuple)
        if stem_of is not None:
            stems += (stem_of,)
        else:
            prefixes += (prefix,)
        self.starts[key] = (3, length, stems, prefixes)

    def word(self, word: str, how: str) -> int:
        """A literal for one word of a term: ``how`` is keyword, alias or exact."""
        if word.isascii() and word.isalnum():  # most words: a stem or the word, no more
            if how == "keyword":
                return self.stem_literal(word)
            literal = self.exact.get(word)
            return self.literal("exact", word) if literal is None else literal
        known = self.words[how]
        literal = known.get(word)
        if literal is not None:
            return literal
        if how == "exact" or not word.isalnum():
            literal = self.literal("exact", word)
        elif not word.isascii() and is_cyrillic(word):  # Russian and Ukrainian decline
            long_stem = len(stem(word)) >= MIN_CYRILLIC_STEM  # names and nouns alike
            literal = self.literal("stem" if long_stem else "exact", word)
        else:
            literal = self.literal("stem" if how == "keyword" else "exact", word)
        known[word] = literal
        return literal

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
        appearance (as rule by rule would), then each rule from its terms' ids."""
        known = self.written
        run_ids = []
        for n, (i, written) in enumerate(run):
            groups_ids = []
            for group in written:
                ids = []
                for term in group:
                    term_id = known.get(term)
                    if term_id is None:
                        term_id = self.written_term(term)
                        if term_id is None:  # most often an error: the full parser says which
                            self.usual_run(rules, run[:n], compiled)
                            compiled.append(self.rule(i, rules[i]))
                            self.usual_run(rules, run[n + 1 :], compiled)
                            return
                        known[term] = term_id
                    ids.append(term_id)
                groups_ids.append(ids)
            run_ids.append(groups_ids)
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
        triggers = self.triggers()  # before self.direct is read: it completes it
        pairs, checks = self.checks(rules)
        return Matcher(
            self.automaton(), rules, self.labels, self.terms, triggers, self.direct, pairs, checks
        )

    def automaton(self) -> object:
        """Every key with its payload, added by C loops: no Python step per key."""
        automaton = ahocorasick.Automaton()
        add = automaton.add_word
        deque(map(add, self.whole.keys(), self.whole.values()), maxlen=0)
        deque(map(add, self.starts.keys(), self.starts.values()), maxlen=0)
        for spaced, words in self.checked.items():
            add(spaced, (2, len(spaced), (), tuple(words)))
        automaton.make_automaton()
        return automaton

    def checks(
        self, rules: list[CompiledRule]
    ) -> tuple[list[Sequence[tuple[int, frozenset[int]]]], dict[int, list[Check]]]:
        """The rules to check when a term is found: by term id, the usual rules, each with
        its other group (``Matcher.pairs``); the others, with the groups left to test or
        None for the rule's own test (a rule with scopes or of another shape).

        A rule is checked only when one of its trigger terms is found: a group of the usual
        rule, (topic OR topic) AND (@name OR @name), the one with the terms used by fewer
        rules (``cheapest``), so that a common topic does not make every item check every
        rule that mentions it; then the trigger's own group holds.
        """
        cost = self.uses
        pairs: list[list[tuple[int, frozenset[int]]] | None] = [None] * len(self.terms)
        checks: dict[int, list[Check]] = {}
        for index, ((node, ids, sets), rule) in enumerate(zip(self.queries, rules, strict=True)):
            scoped = bool(rule.feeds or rule.tags)
            entries: list[tuple[int, Check]]
            if sets and len(sets) == 2:  # the usual shape, as ``cheapest`` (ties: the first)
                a, b = sets
                left, right = sum(map(cost.__getitem__, a)), sum(map(cost.__getitem__, b))
                trigger, other = (a, b) if (left, len(a)) <= (right, len(b)) else (b, a)
                if not scoped:  # most rules. A term in both groups: found, both hold.
                    entry = (index, other)
                    for term_id in trigger:
                        listed = pairs[term_id]
                        if listed is None:
                            pairs[term_id] = [entry]
                        else:
                            listed.append(entry)
                    continue
                entries = [(t, (index, None)) for t in trigger]
            elif sets:
                trigger = cheapest(sets, cost)
                entries = [
                    (t, (index, None if scoped else tuple(g for g in sets if t not in g)))
                    for t in trigger
                ]
            else:
                assert node is not None and ids is not None  # only a usual query has no node
                needed = necessary(node, ids, cost)
                # None: only odd queries such as NOT (NOT a AND NOT b); any of their terms.
                entries = [
                    (t, (index, None)) for t in (set(ids.values()) if needed is None else needed)
                ]
            for term_id, check in entries:
                checks.setdefault(term_id, []).append(check)
        return [() if listed is None else listed for listed in pairs], checks

    def triggers(self) -> list[Sequence[int]]:
        """Which terms to check when a literal is found: each sequence of words is checked
        when its least shared word is found, so "the" in a hundred phrases ("The Hague",
        "the Kremlin") does not make every item check a hundred phrases."""
        shared = self.shared
        several: dict[int, list[int]] = {}
        for term_id in self.several:
            term = self.terms[term_id]
            assert term is not None  # several literals: never a simple term
            for words in term.alternatives:
                if len(words) == 1:
                    rarest = words[0]
                elif len(words) == 2:  # as min(), which takes the first of equals
                    rarest = words[0] if shared[words[0]] <= shared[words[1]] else words[1]
                else:
                    rarest = min(words, key=shared.__getitem__)
                listed = several.get(rarest)
                if listed is None:
                    several[rarest] = [term_id]
                else:
                    listed.append(term_id)
        triggers: list[Sequence[int]] = [() if ids is None else ids for ids in self.single]
        direct = self.direct
        for literal, ids in several.items():  # in term order, each once, like the others
            triggered = triggers[literal]
            triggers[literal] = (
                ids if not triggered and len(ids) == 1 else sorted({*triggered, *ids})
            )
            direct[literal] = -1
        return triggers
