"""A query's tree as a test over the terms found in an item, and the terms that must be
found for it to hold (so that a rule is checked only when one of them is)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet

from monitor.match.syntax import And, Node, Not, Or, Term

# A query as groups of term ids: one term of each group must be found.
Groups = tuple[frozenset[int], ...]
# The term id of each term of a query, by the term's position in the query (a term is the
# only one to start there).
TermIds = dict[int, int]


def compile_node(node: Node, ids: TermIds) -> Callable[[AbstractSet[int]], bool]:
    """The query as a function of the term ids that were found (faster than walking the AST)."""
    if isinstance(node, Term):
        term_id = ids[node.position]
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


def groups(node: Node, ids: TermIds) -> Groups | None:
    """The query as groups of term ids, one of each to be found, when it has that shape:
    ``a``, ``a OR b``, ``(a OR b) AND c``. None for any other (NOT, nested ANDs)."""
    sets = _term_sets(node.children if isinstance(node, And) else [node], ids)
    return tuple(sets) if sets else None


def groups_in_order(node: Node, term_ids: Sequence[int]) -> Groups | None:
    """``groups``, with the term ids of the query's terms listed in the query's order (as
    ``Parsed.terms`` lists them) rather than by position."""
    sets = []
    at = 0
    for child in node.children if type(node) is And else (node,):
        if type(child) is Term:
            sets.append(frozenset((term_ids[at],)))
            at += 1
        elif type(child) is Or:
            for grandchild in child.children:
                if type(grandchild) is not Term:
                    return None
            end = at + len(child.children)
            sets.append(frozenset(term_ids[at:end]))
            at = end
        else:
            return None
    return tuple(sets)


def groups_test(sets: Groups) -> Callable[[AbstractSet[int]], bool]:
    """The usual (a OR b) AND (c OR d): one set operation per group."""
    return lambda found: all(not found.isdisjoint(any_of) for any_of in sets)


def cheapest(sets: Sequence[frozenset[int]], cost: Sequence[int]) -> frozenset[int]:
    """The group whose terms are used by the fewest rules (then the smallest group)."""
    return min(sets, key=lambda o: (sum(map(cost.__getitem__, o)), len(o)))


def necessary(node: Node, ids: TermIds, cost: Sequence[int]) -> frozenset[int] | None:
    """A cheap set of term ids one of which must be found for the query to be true.

    A rule is checked only when one of these is found: for (topic OR topic) AND
    (@name OR @name), the names, when topics are shared by more rules (``cost``: how many
    rules use each term), so that a common topic does not make every item check every
    rule that mentions it. None when no such set is known (under a NOT).
    """
    if isinstance(node, Term):
        return frozenset((ids[node.position],))
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


def _term_sets(nodes: Sequence[Node], ids: TermIds) -> list[frozenset[int]]:
    """Each node as the set of term ids any of which satisfies it; [] if one is not that."""
    sets = []
    for node in nodes:
        if type(node) is Term:
            sets.append(frozenset((ids[node.position],)))
        elif type(node) is Or:
            group = []
            for child in node.children:
                if type(child) is not Term:
                    return []
                group.append(ids[child.position])
            sets.append(frozenset(group))
        else:
            return []
    return sets
