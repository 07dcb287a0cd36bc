"""The common shape of a query, read without the general parser: a pre-check.

``(a OR @b OR "c d") AND (e OR f)``, ``a OR b``, ``a b``: words, entities and phrases in
OR-groups, ANDed, and nothing else (no NOT, scope, wildcard, proximity or nesting). Most
rules look like this, and a config may hold tens of thousands of them: one regular
expression checks the shape, a second cuts the terms, and the tree is the one
``query.parse_full`` makes. Any other query, and any query with an error, is left to the
general parser, which alone says what is wrong and where.
"""

from __future__ import annotations

import re

from monitor.match.syntax import And, Node, Or, Parsed, Term
from monitor.match.text import term_words

# A phrase, an entity or a word; AND, OR and NOT are operators, never words. A term ends at
# a space, a closing parenthesis or the end (anything else attached to it, such as *, :,
# ~ or a hyphen, is for the general parser).
_TERM = r'(?:@?"[^"]*"|@?(?!(?:AND|OR|NOT)\b)[^\W_]+)(?=[\s)]|\Z)'
_GROUP = rf"(?:\(\s*{_TERM}(?:\s+OR\s+{_TERM})*\s*\)|{_TERM})"
_FLAT = re.compile(rf"\s*(?:{_GROUP}(?:\s+(?:AND\s+)?{_GROUP})*|{_TERM}(?:\s+OR\s+{_TERM})+)\s*")
# In a query of that shape: an entity's @, then a phrase or a word; or a parenthesis.
_PIECE = re.compile(r'(@?)(?:"([^"]*)"|([^\W_]+))|([()])')
# Words the general parser refuses as terms ("and": operators are written in capitals).
_OPERATORS = frozenset({"AND", "OR", "NOT"})


def parse_flat(query: str) -> Parsed | None:
    """The query's tree and terms, as ``query.parse_full`` makes them, when the query has
    the common shape and no error; else None."""
    if _FLAT.fullmatch(query) is None:
        return None
    groups: list[list[Term]] = []
    inside: list[Term] | None = None  # the group of the open parenthesis
    joined = False  # the last operator at the top level was OR
    for piece in _PIECE.finditer(query):
        at, phrase, word, parenthesis = piece.groups()
        if parenthesis is not None:
            inside = [] if parenthesis == "(" else None
            if inside is not None:
                groups.append(inside)
            continue
        if word is not None:
            if word == "OR" and not at:
                joined = inside is None
                continue
            if word == "AND" and not at:
                joined = False
                continue
            if len(word) <= 3 and word.upper() in _OPERATORS:
                return None  # "and", "@Or": the general parser explains the error
        term = _term(at, phrase, word, piece.start())
        if term is None:
            return None
        if inside is not None:
            inside.append(term)
        elif joined:
            groups[-1].append(term)
            joined = False
        else:
            groups.append([term])
    children: list[Node] = [g[0] if len(g) == 1 else Or(tuple(g)) for g in groups]
    tree = children[0] if len(children) == 1 else And(tuple(children))
    return Parsed(tree, [(term, True) for group in groups for term in group])


def _term(at: str, phrase: str | None, word: str | None, position: int) -> Term | None:
    """One term as the general parser makes it; None where it would refuse it."""
    if at:
        name = phrase if phrase is not None else word
        assert name is not None
        return Term("entity", name.strip(), (), None, None, position)
    if phrase is not None:
        words = term_words(phrase)
        return (
            Term("phrase", " ".join(phrase.split()), words, None, None, position) if words else None
        )
    assert word is not None
    words = term_words(word)
    return Term("word", word, words, None, None, position) if words else None
