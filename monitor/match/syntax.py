"""The syntax tree of a rule query: terms joined by AND, OR and NOT.

``query.parse_terms`` makes it (``flat.parse_flat`` first, for queries of the common shape);
the builder turns its terms into literals and its shape into a rule's test (``logic.py``).
"""

from __future__ import annotations

from typing import NamedTuple


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
        kind, value, _, field, slop, _ = self  # one unpacking: made for every term
        if kind == "entity":
            written = f'@"{value}"' if " " in value else "@" + value
        elif kind == "phrase":
            written = f'"{value}"' if slop is None else f'"{value}"~{slop}'
        elif kind == "prefix":
            written = value + "*"
        else:
            written = value
        return f"{field}:{written}" if field else written


class And(NamedTuple):
    children: tuple[Node, ...]


class Or(NamedTuple):
    children: tuple[Node, ...]


class Not(NamedTuple):
    child: Node


Node = Term | And | Or | Not


class Parsed(NamedTuple):
    """A parsed query: its tree, each of its terms in order, and the positions of those
    that do not count when the rule fires (under an odd number of NOTs)."""

    tree: Node
    terms: list[Term]
    negated: frozenset[int] = frozenset()
