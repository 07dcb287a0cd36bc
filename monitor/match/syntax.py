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
        scope = f"{self.field}:" if self.field else ""
        if self.kind == "entity":
            return f"{scope}@" + (f'"{self.value}"' if " " in self.value else self.value)
        if self.kind == "phrase":
            return f'{scope}"{self.value}"' + (f"~{self.slop}" if self.slop is not None else "")
        if self.kind == "prefix":
            return f"{scope}{self.value}*"
        return f"{scope}{self.value}"


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
