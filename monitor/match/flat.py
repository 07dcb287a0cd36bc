"""The common shape of a query, read without the general parser: a pre-check.

``(a OR @b OR "c d") AND (e OR f)``, ``a OR b``, ``a b``: words, entities and phrases in
OR-groups, ANDed, and nothing else (no NOT, scope, wildcard, proximity or nesting). Most
rules look like this, and a config may hold tens of thousands of them. Written as most are
(one space around each operator, parentheses against their terms), the query is cut at its
operators by ``str.split``; written otherwise, one regular expression cuts its terms and a
loop checks how they are joined. Either way the tree is the one ``query.parse_full``
makes. Any other query, and any query with an error, is left to the general parser, which
alone says what is wrong and where.
"""

from __future__ import annotations

import re
from functools import partial
from itertools import product

from monitor.match.syntax import And, Node, Or, Parsed, Term
from monitor.match.text import term_words, written_slop

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
# The operators in every case: AND and OR where a term should be, NOT (not of the shape), and
# those the parser refuses ("and").
_OPERATOR_WORDS = frozenset(
    "".join(spelling)
    for word in _OPERATORS
    for spelling in product(*zip(word, word.lower(), strict=True))
)
# Terms by the hundred thousand: made from tuples in C (as ``NamedTuple._make`` does).
_new_term = partial(tuple.__new__, Term)
_NONE: frozenset[int] = frozenset()  # no term under a NOT


def parse_flat(query: str) -> Parsed | None:
    """The query's tree and terms, as ``query.parse_full`` makes them, when the query has
    the common shape and no error; else None."""
    return _spaced(query) or _cut(query)


def _spaced(query: str) -> Parsed | None:
    """``parse_flat`` for a query spaced as most are: `` AND `` between groups, `` OR ``
    between the terms of a group, each group in parentheses or one term; the query has no
    other space (but in its phrases) and the parts cut at the operators are whole terms.
    Pieces cut inside a phrase are not terms (the phrase's quotes are not both at the ends
    of one piece), and such a query is left to ``_cut``.

    A regular expression costs a step of its engine per character of the query; ``split``
    finds the operators by a search in C, and most terms are then read by two ``str`` tests.
    """
    listed: list[Term] = []
    children: list[Node] = []
    new = tuple.__new__
    groups = query.split(" AND ")
    several = len(groups) > 1
    at = 0  # where the group starts
    for group in groups:
        if group[:1] == "(" and group[-1:] == ")":
            texts = group[1:-1].split(" OR ")
            position = at + 1
        elif several:  # one term
            texts = [group]
            position = at
        else:  # a OR b OR c: the only group, without parentheses
            texts = group.split(" OR ")
            position = at
        first = len(listed)
        for text in texts:
            words: tuple[str, ...]
            if text.isalnum():  # a word (most terms), or an operator
                if text in _OPERATOR_WORDS:
                    return None
                if text.isascii():  # as term_words does: a lower-case word is its own
                    words = (text,) if text.islower() else (text.lower(),)
                else:
                    words = term_words(text)
                    if not words or (len(text) <= 3 and text.upper() in _OPERATORS):
                        return None
                term = new(Term, ("word", text, words, None, None, position))
            else:
                found = _written(text, position)
                if found is None:
                    return None
                term = found
            listed.append(term)
            position += len(text) + 4  # " OR "
        members = listed[first:]
        children.append(members[0] if len(members) == 1 else new(Or, (tuple(members),)))
        at += len(group) + 5  # " AND "
    tree = children[0] if len(children) == 1 else new(And, (tuple(children),))
    return new(Parsed, (tree, listed, _NONE))


def _cut(query: str) -> Parsed | None:
    """``parse_flat`` for a query spaced in any other way (tabs, several spaces, terms
    ANDed by a space, parentheses apart from their terms)."""
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
        slop = written_slop(phrase, words)
        return _new_term(("phrase", " ".join(phrase.split()), words, None, slop, position))
    kind, name = ("entity", text[1:]) if text[0] == "@" else ("word", text)
    if not name.isalnum() or (len(name) <= 3 and name.upper() in _OPERATORS):
        return None  # "*", "a-b", "title:x"; "and", "@or": the parser explains the error
    if kind == "entity":
        return _new_term(("entity", name, (), None, None, position))
    words = (text.lower(),) if text.isascii() else term_words(text)  # as term_words does
    return _new_term(("word", text, words, None, None, position)) if words else None


def _written(text: str, at: int) -> Term | None:
    """A term of a query cut at its operators other than a word: "a phrase", @"a name" or
    @name, as the general parser makes it; None where the parser refuses it, or where the
    text is not one term (a phrase cut at an operator inside it)."""
    if text[:1] == '"':
        inside = text[1:-1]
        if len(text) < 2 or text[-1] != '"' or '"' in inside:
            return None
        words = term_words(inside)
        if not words:
            return None
        slop = written_slop(inside, words)
        return _new_term(("phrase", " ".join(inside.split()), words, None, slop, at))
    if text[:2] == '@"':
        inside = text[2:-1]
        if len(text) < 3 or text[-1] != '"' or '"' in inside:
            return None
        return _new_term(("entity", inside.strip(), (), None, None, at))
    name = text[1:]
    if text[:1] != "@" or not name.isalnum() or (len(name) <= 3 and name.upper() in _OPERATORS):
        return None  # "*", "a-b", "title:x", "(a"; "@or": the parser explains the error
    return _new_term(("entity", name, (), None, None, at))
