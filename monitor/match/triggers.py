"""What to check when something is found: the terms a literal triggers, the rules a term
triggers. Worked out once the builder knows how many terms use each literal and how many
rules use each term."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.match.compiled import Check, CompiledRule, CompiledTerm, Pair, pair
from monitor.match.logic import Groups, TermIds, cheapest, necessary
from monitor.match.syntax import Node

# A rule's query as the builder keeps it: its groups when it has the usual shape, else its
# tree and the tree's term ids.
Query = tuple[Node | None, TermIds | None, Groups | None]


def checks(
    queries: Sequence[Query], rules: Sequence[CompiledRule], cost: Sequence[int], term_count: int
) -> tuple[list[Sequence[Pair]], list[Sequence[Check]]]:
    """By term id, the rules to check when the term is found: the usual rules, each with
    its other group (``Pair``); and the others (``Check``), with the groups left to test or
    None for the rule's own test (a rule with scopes or of another shape).

    A rule is checked only when one of its trigger terms is found: a group of the usual
    rule, (topic OR topic) AND (@name OR @name), the one with the terms used by fewer
    rules (``cheapest``), so that a common topic does not make every item check every
    rule that mentions it; then the trigger's own group holds.
    """
    pairs: list[list[Pair] | None] = [None] * term_count
    others: list[list[Check] | None] = [None] * term_count
    for index, ((node, ids, sets), rule) in enumerate(zip(queries, rules, strict=True)):
        scoped = bool(rule.feeds or rule.tags)
        entries: list[tuple[int, Check]]
        if sets and len(sets) == 2:  # the usual shape, as ``cheapest`` (ties: the first)
            a, b = sets
            left, right = sum(map(cost.__getitem__, a)), sum(map(cost.__getitem__, b))
            trigger, other = (a, b) if (left, len(a)) <= (right, len(b)) else (b, a)
            if not scoped:  # most rules. A term in both groups: found, both hold.
                found = pair((index, other))
                for term_id in trigger:
                    listed = pairs[term_id]
                    if listed is None:
                        pairs[term_id] = [found]
                    else:
                        listed.append(found)
                continue
            entries = [(t, Check(index, None)) for t in trigger]
        elif sets:
            trigger = cheapest(sets, cost)
            entries = [
                (t, Check(index, None if scoped else tuple(g for g in sets if t not in g)))
                for t in trigger
            ]
        else:
            assert node is not None and ids is not None  # kept for every other shape
            needed = necessary(node, ids, cost)
            # None: only odd queries such as NOT (NOT a AND NOT b); any of their terms.
            entries = [
                (t, Check(index, None)) for t in (set(ids.values()) if needed is None else needed)
            ]
        for term_id, check in entries:
            checked = others[term_id]
            if checked is None:
                others[term_id] = [check]
            else:
                checked.append(check)
    return [() if p is None else p for p in pairs], [() if c is None else c for c in others]


def triggers(
    terms: Sequence[CompiledTerm | None],
    several: Sequence[int],
    shared: Sequence[int],
    single: Sequence[tuple[int, ...] | None],
    direct: list[int],
) -> list[Sequence[int]]:
    """By literal id, the terms to check when it is found (and ``direct`` completed): each
    sequence of words is checked when its least shared word is found, so "the" in a
    hundred phrases ("The Hague", "the Kremlin") does not make every item check a hundred
    phrases. ``several``: the terms of several literals; ``single``: the one-literal terms
    of each literal, already known."""
    by_rarest: dict[int, list[int]] = {}
    for term_id in several:
        term = terms[term_id]
        assert term is not None  # several literals: never a simple term
        for words in term.alternatives:
            if len(words) == 1:
                rarest = words[0]
            elif len(words) == 2:  # as min(), which takes the first of equals
                rarest = words[0] if shared[words[0]] <= shared[words[1]] else words[1]
            else:
                rarest = min(words, key=shared.__getitem__)
            listed = by_rarest.get(rarest)
            if listed is None:
                by_rarest[rarest] = [term_id]
            else:
                listed.append(term_id)
    triggered_by: list[Sequence[int]] = [() if ids is None else ids for ids in single]
    for literal, ids in by_rarest.items():  # in term order, each once, like the others
        triggered = triggered_by[literal]
        merged = ids if not triggered and len(ids) == 1 else sorted({*triggered, *ids})
        triggered_by[literal] = merged
        direct[literal] = -1  # found, it is checked as several terms
    return triggered_by
