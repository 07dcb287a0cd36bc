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
# Possessive: in a query of that shape nothing is ever given back, so the regex engine
# keeps no backtracking state.
_PIECE = re.compile(r'(\s*+(?:(?:AND|OR)\s++)*+)(@?"[^"]*+"|[()]|[^\s()"]++)')
# Words the general parser refuses as terms ("and": operators are written in capitals).
_OPERATORS = frozenset({"AND", "OR", "NOT"})
# Terms by the hundred thousand: made from tuples in C (as ``NamedTuple._make`` does).
_new_term = partial(tuple.__new__, Term)
_new_or = partial(tuple.__new__, Or)
_new_and = partial(tuple.__new__, And)
_parsed = partial(tuple.__new__, Parsed)
_NONE: frozenset[int] = frozenset()  # no term under a NOT


def parse_flat(query: str) -> Parsed | None:
    """The query's tree and terms, as ``query.parse_full`` makes them, when the query has
    the common shape and no error; else None."""
    ored = _ANDED.fullmatch(query) is None  # the two shapes exclude each other
    if ored and _ORED.fullmatch(query) is None:
        return None
    listed: list[Term] = []
    children: list[Node] = []  # the groups ANDed
    inside: list[Term] | None = None  # the group being read, between parentheses
    at = 0
    new, operators = tuple.__new__, _OPERATORS
    for before, text in _PIECE.findall(query):
        position = at + len(before)
        at = position + len(text)
        if text.isalnum() and text.isascii() and (len(text) > 3 or text.upper() not in operators):
            # A plain word, the usual term (an operator in lower case is for ``_term``).
            # Most keywords are written in lower case: the word is then the text, not a copy.
            word = text if text.islower() else text.lower()
            term = new(Term, ("word", text, (word,), None, None, position))
        elif text == "(":
            inside = []
            continue
        elif text == ")":
            assert inside is not None  # the shape was checked
            children.append(inside[0] if len(inside) == 1 else new(Or, (tuple(inside),)))
            inside = None
            continue
        else:
            found = _term(text, position)
            if found is None:
                return None
            term = found
        listed.append(term)
        if inside is not None:
            inside.append(term)
        elif not ored:
            children.append(term)
    if ored:
        return _parsed((_new_or((tuple(listed),)), listed, _NONE))
    tree = children[0] if len(children) == 1 else _new_and((tuple(children),))
    return _parsed((tree, listed, _NONE))


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
