"""The rule query language: a small recursive-descent parser to an AST.

    query   := or
    or      := and ("OR" and)*
    and     := unary (["AND"] unary)*          adjacent terms are ANDed
    unary   := "NOT" unary | "-" unary | primary
    primary := "(" or ")" | [field ":"] term
    term    := WORD | WORD"*" | '"' phrase '"' | "@"WORD | '@"' entity name '"'
    field   := "title" | "summary"

AND, OR and NOT are operators only in capitals; a word is letters, digits, apostrophes
and hyphens. Every error names the 0-based position in the query.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from dataclasses import dataclass

from monitor.errors import RuleError


@dataclass(frozen=True)
class Term:
    kind: str  # word | prefix | phrase | entity
    value: str  # as written (without quotes, @ or *)
    field: str | None = None  # None: title or summary
    position: int = 0

    @property
    def display(self) -> str:
        scope = f"{self.field}:" if self.field else ""
        if self.kind == "entity":
            return f"{scope}@" + (f'"{self.value}"' if " " in self.value else self.value)
        if self.kind == "phrase":
            return f'{scope}"{self.value}"'
        if self.kind == "prefix":
            return f"{scope}{self.value}*"
        return f"{scope}{self.value}"


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = Term | And | Or | Not
FIELDS = ("title", "summary")
_OPERATORS = {"AND", "OR", "NOT"}


@dataclass
class _Token:
    kind: str  # word | phrase | lparen | rparen | op | colon | at | star | minus
    text: str
    position: int


_LEXER = re.compile(
    r"""(?P<space>\s+)
      | (?P<lparen>\() | (?P<rparen>\)) | (?P<colon>:) | (?P<at>@) | (?P<star>\*) | (?P<minus>-)
      | "(?P<phrase>[^"]*)"
      | (?P<word>[\w'’.]+(?:-[\w'’.]+)*)
      | (?P<other>.)""",
    re.VERBOSE,
)


def _tokenize(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    for m in _LEXER.finditer(query):
        kind = m.lastgroup
        text = m.group(kind or "other")
        position = m.start()
        if kind == "space":
            continue
        if kind == "phrase":
            text = text.strip()
            if not text:
                raise RuleError("an empty phrase", position)
        elif kind == "word" and text in _OPERATORS:
            kind = "op"
        elif kind == "other":
            if text == '"':
                raise RuleError("this quote is never closed", position)
            raise RuleError(f"unexpected character {text!r}", position)
        tokens.append(_Token(kind or "other", text, position))
    return tokens


def _wordish(ch: str) -> bool:
    return ch.isalnum() or ch in "'’_."


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _tokenize(query)
        self.i = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def end(self) -> int:
        return len(self.query)

    def parse(self) -> Node:
        if not self.tokens:
            raise RuleError("the query is empty", 0)
        node = self.parse_or()
        token = self.peek()
        if token is not None:
            what = (
                "a closing parenthesis without its opening one"
                if token.kind == "rparen"
                else f"unexpected {token.text!r}"
            )
            raise RuleError(what, token.position)
        return node

    def parse_or(self) -> Node:
        children = [self.parse_and()]
        while (t := self.peek()) is not None and t.kind == "op" and t.text == "OR":
            self.take()
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self) -> Node:
        children = [self.parse_unary()]
        while (
            (t := self.peek()) is not None
            and t.kind != "rparen"
            and not (t.kind == "op" and t.text == "OR")
        ):
            if t.kind == "op" and t.text == "AND":
                self.take()
            children.append(self.parse_unary())
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_unary(self) -> Node:
        t = self.peek()
        if t is None:
            raise RuleError("the query ends where a term was expected", self.end())
        if (t.kind == "op" and t.text == "NOT") or t.kind == "minus":
            self.take()
            return Not(self.parse_unary())
        return self.parse_primary()

    def parse_primary(self) -> Node:
        t = self.take() if self.peek() is not None else None
        if t is None:
            raise RuleError("the query ends where a term was expected", self.end())
        if t.kind == "lparen":
            node = self.parse_or()
            close = self.peek()
            if close is None or close.kind != "rparen":
                raise RuleError("this parenthesis is never closed", t.position)
            self.take()
            return node
        scope: str | None = None
        nxt = self.peek()
        if (
            t.kind == "word"
            and nxt is not None
            and nxt.kind == "colon"
            and nxt.position == t.position + len(t.text)
        ):
            if t.text.lower() not in FIELDS:
                raise RuleError(f"unknown field {t.text!r} (fields: title, summary)", t.position)
            scope = t.text.lower()
            self.take()
            t = self.take() if self.peek() is not None else None
            if t is None:
                raise RuleError("a field scope must be followed by a term", self.end())
        return self.parse_term(t, scope)

    def parse_term(self, t: _Token, scope: str | None) -> Term:
        if t.kind == "at":
            target = self.take() if self.peek() is not None else None
            if (
                target is None
                or target.kind not in ("word", "phrase")
                or target.position != t.position + 1
            ):
                raise RuleError(
                    '@ must be followed by an entity name: @Name or @"Full Name"', t.position
                )
            return Term("entity", target.text, scope, t.position)
        if t.kind == "phrase":
            return Term("phrase", t.text, scope, t.position)
        if t.kind == "word":
            nxt = self.peek()
            if nxt is not None and nxt.kind == "star" and nxt.position == t.position + len(t.text):
                self.take()
                if len(t.text) < 3:
                    raise RuleError("a wildcard needs at least 3 letters before the *", t.position)
                return Term("prefix", t.text, scope, t.position)
            return Term("word", t.text, scope, t.position)
        if t.kind == "op":
            raise RuleError(f"{t.text} needs a term before and after it", t.position)
        if t.kind == "rparen":
            raise RuleError("a closing parenthesis where a term was expected", t.position)
        raise RuleError(f"unexpected {t.text!r} where a term was expected", t.position)


def parse(query: str) -> Node:
    """Parse a rule query; ``RuleError`` (with the position) when it does not parse."""
    return _Parser(query).parse()


def terms(node: Node) -> list[Term]:
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return terms(node.child)
    return [t for child in node.children for t in terms(child)]


def evaluate(node: Node, hits: set[Term]) -> bool:
    if isinstance(node, Term):
        return node in hits
    if isinstance(node, Not):
        return not evaluate(node.child, hits)
    if isinstance(node, And):
        return all(evaluate(c, hits) for c in node.children)
    return any(evaluate(c, hits) for c in node.children)


def compile_node(node: Node, ids: dict[Term, int]) -> Callable[[Container[int]], bool]:
    """The query as a function of the set of term ids that hit (faster than walking the AST)."""
    if isinstance(node, Term):
        term_id = ids[node]
        return lambda hits: term_id in hits
    if isinstance(node, Not):
        child = compile_node(node.child, ids)
        return lambda hits: not child(hits)
    children = [compile_node(c, ids) for c in node.children]
    if isinstance(node, And):
        return lambda hits: all(c(hits) for c in children)
    return lambda hits: any(c(hits) for c in children)
