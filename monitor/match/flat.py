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
# One term of a query of that shape a match: the whitespace and operators before it, a
# parenthesis that opens before it, the term, whitespace and a parenthesis that close after
# it. The term is a lower-case ASCII word that is not an operator (most keywords: it is its
# own folded word), the name of @"an entity", or any other (an @name, a "phrase", a word
# with capitals or letters outside ASCII). A match a term: nothing is built per operator or
# parenthesis. Possessive: in a query of that shape nothing is ever given back, so the
# regex engine keeps no backtracking state.
_EACH = re.compile(
    r"(\s*+(?:(?:AND|OR)\s++)*+)((?:\(\s*+)?+)"
    r"(?:((?!(?:and|or|not)(?:[\s)]|\Z))[a-z0-9]++)(?=[\s)]|\Z)"
    r'|@"([^"]*+)"'
    r'|("[^"]*+"|[^\s()"]++))'
    r"((?:\s*+\))?+)"
)
# Words the general parser refuses as terms ("and": operators are written in capitals).
_OPERATORS = frozenset({"AND", "OR", "NOT"})
# Terms by the hundred thousand: made from tuples in C (as ``NamedTuple._make`` does).
_new_term = partial(tuple.__new__, Term)
_NONE: frozenset[int] = frozenset()  # no term under a NOT


def parse_flat(query: str) -> Parsed | None:
    """The query's tree and terms, as ``query.parse_full`` makes them, when the query has
    the common shape and no error; else None."""
    ored = _ANDED.fullmatch(query) is None  # the two shapes exclude each other
    if ored and _ORED.fullmatch(query) is None:
        return None
    listed: list[Term] = []
    children: list[Node] = []  # the groups ANDed
    start = -1  # where the group being read starts in ``listed`` (-1: not in a group)
    at = 0
    new = tuple.__new__
    for before, opened, word, name, text, closed in _EACH.findall(query):
        position = at + len(before) + len(opened)
        if word:
            at = position + len(word) + len(closed)
            term = new(Term, ("word", word, (word,), None, None, position))
        elif text:
            at = position + len(text) + len(closed)
            found = _term(text, position)
            if found is None:
                return None
            term = found
        else:  # @"Full Name"
            at = position + len(name) + 3 + len(closed)
            term = new(Term, ("entity", name.strip(), (), None, None, position))
        listed.append(term)
        if opened:
            start = len(listed) - 1
        if closed:
            group = listed[start:]
            children.append(group[0] if len(group) == 1 else new(Or, (tuple(group),)))
            start = -1
        elif start < 0:
            children.append(term)
    if ored:
        return new(Parsed, (new(Or, (tuple(listed),)), listed, _NONE))
    tree = children[0] if len(children) == 1 else new(And, (tuple(children),))
    return new(Parsed, (tree, listed, _NONE))


def _term(text: str, position: int) -> Term | None:
    """One term as the general parser makes it; None where it would refuse it."""
    if text.isalnum() and text.isascii() and (len(text) > 3 or text.upper() not in _OPERATORS):
        return _new_term(("word", text, (text.lower(),), None, None, position))
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
