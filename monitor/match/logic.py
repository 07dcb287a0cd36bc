"""A query's tree as a test over the terms found in an item, and the terms that must be
found for it to hold (so that a rule is checked only when one of them is)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet

from monitor.match.syntax import And, Node, Not, Or, Term

# A query as groups of term ids: one term of each group must be found.
Groups = tuple[frozenset[int], ...]


def compile_node(node: Node, ids: dict[Term, int]) -> Callable[[AbstractSet[int]], bool]:
    """The query as a function of the term ids that were found (faster than walking the AST)."""
    if isinstance(node, Term):
        term_id = ids[node]
        return lambda found: term_id in found
    if isinstance(node, Not):
        child = compile_node(node.child, ids)
        return lambda found: not child(found)
    if (sets := groups(node, ids)) is not None:
        return groups_test(sets)
    children = tuple(compile_node(c, ids) for c in node.children)
    if isinstance(node, And):

        def all_of(found: AbstractSet[int]) -> bool:
            return all(child(found) for child in children)

        return all_of

    def either(found: AbstractSet[int]) -> bool:
        return any(child(found) for child in children)

    return either


def groups(node: Node, ids: dict[Term, int]) -> Groups | None:
    """The query as groups of term ids, one of each to be found, when it has that shape:
    ``a``, ``a OR b``, ``(a OR b) AND c``. None for any other (NOT, nested ANDs)."""
    sets = _term_sets(node.children if isinstance(node, And) else [node], ids)
    return tuple(sets) if sets else None


def groups_test(sets: Groups) -> Callable[[AbstractSet[int]], bool]:
    """The usual (a OR b) AND (c OR d): one set operation per group."""
    return lambda found: all(not found.isdisjoint(any_of) for any_of in sets)


def cheapest(sets: Sequence[frozenset[int]], cost: Sequence[int]) -> frozenset[int]:
    """The group whose terms are used by the fewest rules (then the smallest group)."""
    return min(sets, key=lambda o: (sum(map(cost.__getitem__, o)), len(o)))


def necessary(node: Node, ids: dict[Term, int], cost: Sequence[int]) -> frozenset[int] | None:
    """A cheap set of term ids one of which must be found for the query to be true.

    A rule is checked only when one of these is found: for (topic OR topic) AND
    (@name OR @name), the names, when topics are shared by more rules (``cost``: how many
    rules use each term), so that a common topic does not make every item check every
    rule that mentions it. None when no such set is known (under a NOT).
    """
    if isinstance(node, Term):
        return frozenset((ids[node],))
    if isinstance(node, And) and (sets := _term_sets(node.children, ids)):
        return cheapest(sets, cost)  # the usual shape
    if isinstance(node, Not):
        return necessary(node.child.child, ids, cost) if isinstance(node.child, Not) else None
    options = [necessary(c, ids, cost) for c in node.children]
    if isinstance(node, Or):
        if any(o is None for o in options):
            return None
        return frozenset().union(*(o for o in options if o is not None))
    known = [o for o in options if o is not None]
    return cheapest(known, cost) if known else None


def _term_sets(nodes: Sequence[Node], ids: dict[Term, int]) -> list[frozenset[int]]:
    """Each node as the set of term ids any of which satisfies it; [] if one is not that."""
    sets = []
    for node in nodes:
        if isinstance(node, Term):
            sets.append(frozenset((ids[node],)))
        elif isinstance(node, Or) and all(isinstance(c, Term) for c in node.children):
            sets.append(frozenset(ids[c] for c in node.children if isinstance(c, Term)))
        else:
            return []
    return sets
