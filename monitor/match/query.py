"""The rule query language: a small recursive-descent parser to an AST.

    query   := or
    or      := and ("OR" and)*
    and     := unary (["AND"] unary)*           adjacent terms are ANDed
    unary   := "NOT" unary | "-" unary | primary
    primary := [field ":"] ( "(" or ")" | term )
    term    := WORD | WORD"*" | '"' words '"' ["~" N] | "@"WORD | '@"' entity name '"'
    field   := "title" | "summary"

AND, OR and NOT are operators only in capitals. Every error names the 0-based position in
the query. See docs/rules.md for what each term matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from typing import NamedTuple

from monitor.errors import RuleError
from monitor.match.text import term_words

FIELDS = ("title", "summary")
MAX_DEPTH = 50  # parentheses nested deeper than this are refused (no query needs it)
MAX_SLOP = 100
MIN_PREFIX = 3


class Term(NamedTuple):
    kind: str  # word | prefix | phrase | entity
    value: str  # as written (without quotes, @, * or ~N)
    words: tuple[str, ...]  # folded words (empty for an entity: its spellings are used)
    field: str | None = None  # None: title or summary
    slop: int | None = None  # "a b"~N: at most N other words between consecutive ones
    position: int = 0

    @property
    def display(self) -> str:
        """The term as a user would write it, for "why did this fire"."""
        scope = f"{self.field}:" if self.field else ""
        if self.kind == "entity":
            return f"{scope}@" + (f'"{self.value}"' if " " in self.value else self.value)
        if self.kind == "phrase":
            return f'{scope}"{self.value}"' + (f"~{self.slop}" if self.slop is not None else "")
        if self.kind == "prefix":
            return f"{scope}{self.value}*"
        return f"{scope}{self.value}"


class And(NamedTuple):
    children: tuple[Node, ...]


class Or(NamedTuple):
    children: tuple[Node, ...]


class Not(NamedTuple):
    child: Node


Node = Term | And | Or | Not
# A query as groups of term ids: one term of each group must be found.
Groups = tuple[frozenset[int], ...]
_OPERATORS = frozenset({"AND", "OR", "NOT"})
_AND_STOPS = frozenset({"OR", ")", "end"})
# Leading whitespace, then a quoted phrase (closed or not), a punctuation mark or a word:
# the pieces cover the query, so a token's position is the running sum of the lengths.
_LEXER = re.compile(r'(\s*)("[^"]*"?|[()@*:~]|[^\s()"@*:~]+)')
_KINDS = {c: c for c in "()@*:~"} | {op: op for op in _OPERATORS}


def _tokenize(query: str) -> list[tuple[str, str, int]]:
    """(kind, text, position) of each token; kind is the text for punctuation."""
    tokens: list[tuple[str, str, int]] = []
    at = 0
    for space, text in _LEXER.findall(query):
        position = at + len(space)
        at = position + len(text)
        kind = _KINDS.get(text)
        if kind is None and len(text) <= 3 and text.upper() in _OPERATORS:
            raise RuleError(
                f"write operators in capitals: {text.upper()} "
                f'(to search the word itself, quote it: "{text}")',
                position,
            )
        if kind is not None:
            tokens.append((kind, text, position))
        elif text[0] == '"':
            if len(text) == 1 or text[-1] != '"':
                raise RuleError("this quote is never closed", position)
            tokens.append(("phrase", text[1:-1], position))
        elif text[0] == "-":  # -word: NOT word (inside a word a hyphen joins: peace-talks)
            tokens.append(("-", "-", position))
            if len(text) > 1:
                tokens.append(("word", text[1:], position + 1))
        else:
            tokens.append(("word", text, position))
    return tokens


class _Parser:
    """Recursive descent over the tokens, which end with an "end" token (no bounds checks)."""

    def __init__(self, query: str) -> None:
        self.size = len(query)
        self.tokens = _tokenize(query)
        self.tokens.append(("end", "", self.size))
        self.i = 0
        self.depth = 0
        self.negated = False  # under an odd number of NOTs
        self.terms: list[tuple[Term, bool]] = []  # every term, and whether it counts

    def next_is(self, kind: str, adjacent_to: int) -> bool:
        """Whether the next token is ``kind`` and starts right at ``adjacent_to``."""
        t = self.tokens[self.i]
        return t[0] == kind and t[2] == adjacent_to

    def take(self, expected: str = "a term") -> tuple[str, str, int]:
        token = self.tokens[self.i]
        if token[0] == "end":
            raise RuleError(f"the query ends where {expected} was expected", self.size)
        self.i += 1
        return token

    def parse(self) -> Node:
        if len(self.tokens) == 1:
            raise RuleError("the query is empty", 0)
        node = self.parse_or()
        t = self.tokens[self.i]
        if t[0] != "end":  # parse_and stops only at OR, ")" or the end
            raise RuleError("a closing parenthesis without its opening one", t[2])
        return node

    def parse_or(self) -> Node:
        node = self.parse_and()
        if self.tokens[self.i][0] != "OR":
            return node
        children = [node]
        while self.tokens[self.i][0] == "OR":
            self.i += 1
            children.append(self.parse_and())
        return Or(tuple(children))

    def parse_and(self) -> Node:
        node = self.parse_unary()
        kind = self.tokens[self.i][0]
        if kind in _AND_STOPS:
            return node
        children = [node]
        while kind not in _AND_STOPS:
            if kind == "AND":
                self.i += 1
            children.append(self.parse_unary())
            kind = self.tokens[self.i][0]
        return And(tuple(children))

    def parse_unary(self) -> Node:
        t = self.take()
        if t[0] == "word" and self.tokens[self.i][2] != t[2] + len(t[1]):
            # The usual term: a word with nothing attached (no field:, no *), made here.
            term = Term("word", t[1], self.words(t[1], t[2]), None, None, t[2])
            self.terms.append((term, not self.negated))
            return term
        if t[0] == "-" or t[0] == "NOT":
            self.negated = not self.negated
            negation = Not(self.parse_unary())
            self.negated = not self.negated
            return negation
        scope: str | None = None
        if t[0] == "word" and self.next_is(":", t[2] + len(t[1])):
            if t[1].lower() not in FIELDS:
                raise RuleError(f"unknown field {t[1]!r} (fields: title, summary)", t[2])
            scope = t[1].lower()
            self.i += 1
            t = self.take("a term after the field scope")
        if t[0] == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise RuleError(f"parentheses nested more than {MAX_DEPTH} deep", t[2])
            if self.tokens[self.i][0] == ")":
                raise RuleError("empty parentheses", t[2])
            node = self.parse_or()
            if self.tokens[self.i][0] != ")":
                raise RuleError("this parenthesis is never closed", t[2])
            self.i += 1
            self.depth -= 1
            return self.scoped(node, scope) if scope else node
        term = self.parse_term(t, scope)
        self.terms.append((term, not self.negated))
        return term

    def parse_term(self, t: tuple[str, str, int], scope: str | None) -> Term:
        kind, text, position = t
        if kind == "@":
            if not (self.next_is("word", position + 1) or self.next_is("phrase", position + 1)):
                raise RuleError(
                    '@ must be followed by an entity name: @Name or @"Full Name"', position
                )
            name = self.take()[1]
            return Term("entity", name.strip(), (), scope, None, position)
        if kind == "phrase":
            words = self.words(text, position)
            slop: int | None = None
            end = position + len(text) + 2
            if self.next_is("~", end):
                self.i += 1
                if not self.next_is("word", end + 1) or not self.tokens[self.i][1].isdigit():
                    raise RuleError(
                        'proximity is written as a number after ~, as in "peace talks"~5', end
                    )
                slop = int(self.take()[1])
                if slop > MAX_SLOP:
                    raise RuleError(f"proximity can be at most ~{MAX_SLOP} words", end)
            return Term("phrase", " ".join(text.split()), words, scope, slop, position)
        if kind == "word":
            words = self.words(text, position)
            if self.next_is("*", position + len(text)):
                self.i += 1
                if len(words) != 1 or not words[0].isalnum():
                    raise RuleError(
                        "a wildcard * must end a single word, as in negotiat*", position
                    )
                if len(words[0]) < MIN_PREFIX:
                    raise RuleError(
                        f"a wildcard needs at least {MIN_PREFIX} letters before the *", position
                    )
                return Term("prefix", text, words, scope, None, position)
            return Term("word", text, words, scope, None, position)
        if kind in _OPERATORS:
            raise RuleError(f"{text} needs a term before and after it", position)
        if kind == ")":
            raise RuleError("a closing parenthesis where a term was expected", position)
        if kind == "*":
            raise RuleError("a wildcard * must end a word, as in negotiat*", position)
        if kind == "~":
            raise RuleError('~ (proximity) must follow a quoted phrase, as in "a b"~5', position)
        if kind == ":":
            raise RuleError("a field scope is written title:term or summary:term", position)
        raise RuleError(f"unexpected {text!r} where a term was expected", position)

    def scoped(self, node: Node, field: str) -> Node:
        """``title:(a OR b)``: every term inside without a scope of its own gets this one."""
        if isinstance(node, Term):
            if node.field:
                return node
            scoped = node._replace(field=field)
            self.terms = [(scoped if t is node else t, positive) for t, positive in self.terms]
            return scoped
        if isinstance(node, Not):
            return Not(self.scoped(node.child, field))
        children = tuple(self.scoped(c, field) for c in node.children)
        return And(children) if isinstance(node, And) else Or(children)

    @staticmethod
    def words(text: str, position: int) -> tuple[str, ...]:
        words = term_words(text)
        if not words:
            if len(text) == 1:
                raise RuleError(f"unexpected character {text!r}", position)
            if not text.strip():
                raise RuleError("an empty phrase", position)
            raise RuleError(f"{text!r} has no letter or digit to match", position)
        return words


def parse(query: str) -> Node:
    """Parse a rule query; ``RuleError`` (with the position) when it does not parse."""
    return _Parser(query).parse()


def parse_terms(query: str) -> tuple[Node, list[tuple[Term, bool]]]:
    """The query and each of its terms, with whether it counts (False: under a NOT)."""
    parser = _Parser(query)
    return parser.parse(), parser.terms


def compile_node(node: Node, ids: dict[Term, int]) -> Callable[[AbstractSet[int]], bool]:
    """The query as a function of the term ids that were found (faster than walking the AST)."""
    if isinstance(node, Term):
        term_id = ids[node]
        return lambda found: term_id in found
    if isinstance(node, Not):
        child = compile_node(node.child, ids)
        return lambda found: not child(found)
    if (sets := groups(node, ids)) is not None:
        return groups_test(sets)
    children = tuple(compile_node(c, ids) for c in node.children)
    if isinstance(node, And):

        def all_of(found: AbstractSet[int]) -> bool:
            return all(child(found) for child in children)

        return all_of

    def either(found: AbstractSet[int]) -> bool:
        return any(child(found) for child in children)

    return either


def groups(node: Node, ids: dict[Term, int]) -> Groups | None:
    """The query as groups of term ids, one of each to be found, when it has that shape:
    ``a``, ``a OR b``, ``(a OR b) AND c``. None for any other (NOT, nested ANDs)."""
    sets = _term_sets(node.children if isinstance(node, And) else [node], ids)
    return tuple(sets) if sets else None


def groups_test(sets: Groups) -> Callable[[AbstractSet[int]], bool]:
    """The usual (a OR b) AND (c OR d): one set operation per group."""
    return lambda found: all(not found.isdisjoint(any_of) for any_of in sets)


def cheapest(sets: Sequence[frozenset[int]], cost: Sequence[int]) -> frozenset[int]:
    """The group whose terms are used by the fewest rules (then the smallest group)."""
    return min(sets, key=lambda o: (sum(map(cost.__getitem__, o)), len(o)))


def necessary(node: Node, ids: dict[Term, int], cost: Sequence[int]) -> frozenset[int] | None:
    """A cheap set of term ids one of which must be found for the query to be true.

    A rule is checked only when one of these is found: for (topic OR topic) AND
    (@name OR @name), the names, when topics are shared by more rules (``cost``: how many
    rules use each term), so that a common topic does not make every item check every
    rule that mentions it. None when no such set is known (under a NOT).
    """
    if isinstance(node, Term):
        return frozenset((ids[node],))
    if isinstance(node, And) and (sets := _term_sets(node.children, ids)):
        return cheapest(sets, cost)  # the usual shape
    if isinstance(node, Not):
        return necessary(node.child.child, ids, cost) if isinstance(node.child, Not) else None
    options = [necessary(c, ids, cost) for c in node.children]
    if isinstance(node, Or):
        if any(o is None for o in options):
            return None
        return frozenset().union(*(o for o in options if o is not None))
    known = [o for o in options if o is not None]
    return cheapest(known, cost) if known else None


def _term_sets(nodes: Sequence[Node], ids: dict[Term, int]) -> list[frozenset[int]]:
    """Each node as the set of term ids any of which satisfies it; [] if one is not that."""
    sets = []
    for node in nodes:
        if isinstance(node, Term):
            sets.append(frozenset((ids[node],)))
        elif isinstance(node, Or) and all(isinstance(c, Term) for c in node.children):
            sets.append(frozenset(ids[c] for c in node.children if isinstance(c, Term)))
        else:
            return []
    return sets
