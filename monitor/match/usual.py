"""The usual query, cut by regular expressions: what most rules look like.

``(a OR @b OR "c d") AND (e OR f)``, ``a OR b``, ``a b``: words, entities and phrases in
OR-groups, ANDed, and nothing else (no NOT, scope, wildcard, proximity or nesting). Such a
query is checked and cut into its terms by two C calls instead of a Python step per token
and a tree. Any other query, and any query with an error, is for ``query.parse_terms``,
which alone says what is wrong and where.
"""

from __future__ import annotations

import re

# A phrase, an entity or a word; AND, OR and NOT are operators, never words. A term ends at
# a space, a closing parenthesis or the end (anything else attached to it, such as *, :,
# ~ or a hyphen, is for the full parser).
_TERM = r'(?:@?"[^"]*"|@?(?!(?:AND|OR|NOT)\b)[^\W_]+)(?=[\s)]|\Z)'
_GROUP = rf"(?:\(\s*{_TERM}(?:\s+OR\s+{_TERM})*\s*\)|{_TERM})"
_USUAL = re.compile(rf"\s*(?:{_GROUP}(?:\s+(?:AND\s+)?{_GROUP})*|{_TERM}(?:\s+OR\s+{_TERM})+)\s*")
# Words that the full parser refuses as terms ("and": operators are written in capitals).
_OPERATORS = frozenset({"AND", "OR", "NOT"})


def usual_groups(query: str) -> list[list[str]] | None:
    """The query's OR-groups, each a list of its terms as written (``Putin``, ``@Putin``,
    ``@"Vladimir Putin"``, ``"peace talks"``), when it has the usual shape; else None.

    The groups are those of ``query.groups``, in order: ``a OR b`` is one group, ``a b``
    two, ``(a OR b) AND c`` two.
    """
    if _USUAL.fullmatch(query) is None:
        return None
    groups: list[list[str]] = []
    inside: list[str] | None = None  # the group of the open parenthesis
    joined = False  # the last operator at the top level was OR
    for token in _tokens(query):
        if token == "(":
            inside = []
            groups.append(inside)
        elif token == ")":
            inside = None
        elif token == "OR":
            joined = inside is None
        elif token == "AND":
            joined = False
        else:
            if len(token) <= 4 and token.lstrip("@").upper() in _OPERATORS:
                return None  # "and", "@Or": the full parser explains the error
            if inside is not None:
                inside.append(token)
            elif joined:
                groups[-1].append(token)
                joined = False
            else:
                groups.append([token])
    return groups


def _tokens(query: str) -> list[str]:
    """The tokens of a query of the usual shape: phrases whole (with their quotes, and the
    @ of an entity), parentheses, words and operators. Cut by ``str`` methods, twice as
    fast as a regular expression: the shape is known, so only quotes and parentheses
    need care."""
    if '"' not in query:
        return query.replace("(", " ( ").replace(")", " ) ").split()
    tokens: list[str] = []
    quoted = False
    for part in query.split('"'):
        if not quoted:
            tokens += part.replace("(", " ( ").replace(")", " ) ").split()
        elif tokens and tokens[-1] == "@":  # @"Full Name": an @ is never alone otherwise
            tokens[-1] = '@"' + part + '"'
        else:
            tokens.append('"' + part + '"')
        quoted = not quoted
    return tokens
