"""The rule query language: a small recursive-descent parser to a syntax tree.

    query   := or
    or      := and ("OR" and)*
    and     := unary (["AND"] unary)*           adjacent terms are ANDed
    unary   := "NOT" unary | "-" unary | primary
    primary := [field ":"] ( "(" or ")" | term )
    term    := WORD | WORD"*" | '"' words '"' ["~" N] | "@"WORD | '@"' entity name '"'
    field   := "title" | "summary"

AND, OR and NOT are operators only in capitals. Every error names the 0-based position in
the query. See docs/rules.md for what each term matches. Most queries have the shape
``flat.parse_flat`` reads in a few C calls; it makes the same tree, so whichever reads a
query, the rule is the same (tests/test_query.py compares the two).
"""

from __future__ import annotations

import re

from monitor.errors import RuleError
from monitor.match.flat import parse_flat
from monitor.match.syntax import And, Node, Not, Or, Parsed, Term
from monitor.match.text import term_words, written_slop

FIELDS = ("title", "summary")
MAX_DEPTH = 50  # parentheses nested deeper than this are refused (no query needs it)
MAX_SLOP = 100
MIN_PREFIX = 3

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
        self.terms: list[Term] = []  # every term, in order
        self.uncounted: set[int] = set()  # positions of the terms under an odd number of NOTs

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
            self.add(term)
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
        self.add(term)
        return term

    def add(self, term: Term) -> None:
        self.terms.append(term)
        if self.negated:
            self.uncounted.add(term.position)

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
            if slop is None:
                slop = written_slop(text, words)
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
            self.terms = [scoped if t is node else t for t in self.terms]
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
    return parse_terms(query).tree


def parse_terms(query: str) -> Parsed:
    """The query's tree and each of its terms, with whether it counts (False: under a NOT)."""
    return parse_flat(query) or parse_full(query)


def parse_full(query: str) -> Parsed:
    """``parse_terms`` by the recursive-descent parser alone, whatever the query's shape."""
    parser = _Parser(query)
    tree = parser.parse()
    return Parsed(tree, parser.terms, frozenset(parser.uncounted))
