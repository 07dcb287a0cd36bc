"""The common shape of a query, read without the general parser: a pre-check.

``(a OR @b OR "c d") AND (e OR f)``, ``a OR b``, ``a b``: words, entities and phrases in
OR-groups, ANDed, and nothing else (no NOT, scope, wildcard, proximity or nesting). Most
rules look like this, and a config may hold tens of thousands of them: regular
expressions check the shape and cut the terms, and the tree is the one
``query.parse_full`` makes. Any other query, and any query with an error, is left to the
general parser, which alone says what is wrong and where.
"""

from __future__ import annotations

import re
from functools import partial

from monitor.match.syntax import And, Node, Or, Parsed, Term
from monitor.match.text import term_words

# A phrase, an entity or a word; AND, OR and NOT are operators, never words. A term ends at
# a space, a closing parenthesis or the end (anything else attached to it, such as *, :,
# ~ or a hyphen, is for the general parser).
_TERM = r'(?:@?"[^"]*"|@?(?!(?:AND|OR|NOT)\b)[^\W_]+)(?=[\s)]|\Z)'
_GROUP = rf"(?:\(\s*{_TERM}(?:\s+OR\s+{_TERM})*\s*\)|{_TERM})"
# Groups ANDed (adjacent groups are ANDed too), or terms ORed: a query of one group.
_ANDED = re.compile(rf"\s*{_GROUP}(?:\s+(?:AND\s+)?{_GROUP})*\s*")
_ORED = re.compile(rf"\s*{_TERM}(?:\s+OR\s+{_TERM})+\s*")
# The pieces of a query of that shape, each after the whitespace and operators before it: a
# phrase (with the @ of an entity), a parenthesis, or a word (with its @).
_PIECE = re.compile(r'(\s*(?:(?:AND|OR)\s+)*)(@?"[^"]*"|[()]|[^\s()"]+)')
# Words the general parser refuses as terms ("and": operators are written in capitals).
_OPERATORS = frozenset({"AND", "OR", "NOT"})
# Terms by the hundred thousand: made from tuples in C (as ``NamedTuple._make`` does).
_new_term = partial(tuple.__new__, Term)


def parse_flat(query: str) -> Parsed | None:
    """The query's tree and terms, as ``query.parse_full`` makes them, when the query has
    the common shape and no error; else None."""
    ored = _ORED.fullmatch(query) is not None
    if not ored and _ANDED.fullmatch(query) is None:
        return None
    terms: list[Term] = []
    groups: list[list[Term]] = [terms] if ored else []
    inside: list[Term] | None = terms if ored else None  # the group being read
    at = 0
    for before, text in _PIECE.findall(query):
        position = at + len(before)
        at = position + len(text)
        if text == "(":
            inside = []
            groups.append(inside)
        elif text == ")":
            inside = None
        else:
            term = _term(text, position)
            if term is None:
                return None
            if inside is None:
                groups.append([term])
            else:
                inside.append(term)
    children: list[Node] = [g[0] if len(g) == 1 else Or(tuple(g)) for g in groups]
    tree = children[0] if len(children) == 1 else And(tuple(children))
    return Parsed(tree, [(term, True) for group in groups for term in group])


def _term(text: str, position: int) -> Term | None:
    """One term as the general parser makes it; None where it would refuse it."""
    if text[0] == "@":
        name = text[2:-1] if text[1] == '"' else text[1:]
        if len(name) <= 3 and name.upper() in _OPERATORS and text[1] != '"':
            return None  # "@or": the general parser explains the error
        return _new_term(("entity", name.strip(), (), None, None, position))
    if text[0] == '"':
        phrase = text[1:-1]
        words = term_words(phrase)
        if not words:
            return None
        return _new_term(("phrase", " ".join(phrase.split()), words, None, None, position))
    if len(text) <= 3 and text.upper() in _OPERATORS:
        return None  # "and": the general parser explains the error
    words = (text.lower(),) if text.isascii() else term_words(text)  # as term_words does
    return _new_term(("word", text, words, None, None, position)) if words else None
