"""The common shape of a query, read without the general parser: a pre-check.

``(a OR @b OR "c d") AND (e OR f)``, ``a OR b``, ``a b``: words, entities and phrases in
OR-groups, ANDed, and nothing else (no NOT, scope, wildcard, proximity or nesting). Most
rules look like this, and a config may hold tens of thousands of them: one regular
expression cuts the terms, a loop checks how they are joined, and the tree is the one
``query.parse_full`` makes. Any other query, and any query with an error, is left to the
general parser, which alone says what is wrong and where.
"""

from __future__ import annotations

import re
from functools import partial

from monitor.match.syntax import And, Node, Or, Parsed, Term
from monitor.match.text import term_words

# One term a match: the whitespace and operators before it, a parenthesis that opens before
# it, the term, and whitespace and a parenthesis that close after it. The term is a
# lower-case ASCII word that is not an operator (most keywords: it is its own folded word),
# the name of @"an entity", or any other piece (checked by ``_term``). A match a term:
# nothing is built per operator or parenthesis. Possessive: nothing is ever given back, so
# the regex engine keeps no backtracking state. What the matches skip (a "*", a ":", an
# unclosed quote) leaves a gap, and a query with a gap is not of the shape.
_EACH = re.compile(
    r"(\s*+(?:(?:AND|OR)\s++)*+)((?:\(\s*+)?+)"
    r"(?:((?!(?:and|or|not)(?:[\s)]|\Z))[a-z0-9]++)(?=[\s)]|\Z)"
    r'|@"([^"]*+)"'
    r'|("[^"]*+"|[^\s()"]++))'
    r"((?:\s*+\))?+)"
)
# How a term is joined to the one before, by what is written before it (adjacent terms are
# ANDed): the usual spacing; ``_join`` reads any other.
_JOINS = {" ": "AND", " AND ": "AND", " OR ": "OR"}
# Words the general parser refuses as terms ("and": operators are written in capitals).
_OPERATORS = frozenset({"AND", "OR", "NOT"})
# Terms by the hundred thousand: made from tuples in C (as ``NamedTuple._make`` does).
_new_term = partial(tuple.__new__, Term)
_NONE: frozenset[int] = frozenset()  # no term under a NOT


def parse_flat(query: str) -> Parsed | None:
    """The query's tree and terms, as ``query.parse_full`` makes them, when the query has
    the common shape and no error; else None."""
    listed: list[Term] = []
    children: list[Node] = []  # the groups ANDed
    start = -1  # where the group being read starts in ``listed`` (-1: not in a group)
    at = 0
    ored = anded = False  # how terms outside parentheses are joined
    new, joins = tuple.__new__, _JOINS
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
        if listed:
            join = joins.get(before) or _join(before)
            if start >= 0:  # inside parentheses: ORed, and no parentheses nested
                if join != "OR" or opened:
                    return None
            elif join == "AND":
                anded = True
            elif join == "OR":
                ored = True
            else:
                return None
        elif before and not before.isspace():
            return None  # an operator first
        listed.append(term)
        if opened:
            start = len(listed) - 1
        if closed:
            if start < 0:
                return None
            group = listed[start:]
            children.append(group[0] if len(group) == 1 else new(Or, (tuple(group),)))
            start = -1
        elif start < 0:
            children.append(term)
    if start >= 0 or not listed or (at != len(query) and not query[at:].isspace()):
        return None  # a parenthesis left open, no term, or a gap between the terms
    if ored:  # a OR b OR c: one group, and so no parentheses and no AND
        if anded or len(children) != len(listed):
            return None
        return new(Parsed, (new(Or, (tuple(listed),)), listed, _NONE))
    tree = children[0] if len(children) == 1 else new(And, (tuple(children),))
    return new(Parsed, (tree, listed, _NONE))


def _join(before: str) -> str | None:
    """``_JOINS`` for other whitespace (tabs, newlines, several spaces); None where the
    shape does not join terms so (two operators, or no space)."""
    if not before[:1].isspace():
        return None
    operators = before.split()
    if not operators:
        return "AND"
    return operators[0] if len(operators) == 1 else None


def _term(text: str, position: int) -> Term | None:
    """A term other than a lower-case ASCII word or an @"entity", as the general parser
    makes it; None where the parser refuses it or it is not of the common shape."""
    if text[0] == '"':
        phrase = text[1:-1]
        words = term_words(phrase)
        if not words:
            return None
        return _new_term(("phrase", " ".join(phrase.split()), words, None, None, position))
    kind, name = ("entity", text[1:]) if text[0] == "@" else ("word", text)
    if not name.isalnum() or (len(name) <= 3 and name.upper() in _OPERATORS):
        return None  # "*", "a-b", "title:x"; "and", "@or": the parser explains the error
    if kind == "entity":
        return _new_term(("entity", name, (), None, None, position))
    words = (text.lower(),) if text.isascii() else term_words(text)  # as term_words does
    return _new_term(("word", text, words, None, None, position)) if words else None
