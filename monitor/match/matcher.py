"""Match an item against every rule: one automaton pass (``scan.py``), then the rules its
terms trigger, each match explained (``explain.py``).

Title and summary are folded (``text.fold``) and joined by a NUL, which no term contains and
no phrase crosses, so the automaton runs over the item once.
"""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet

import ahocorasick

from monitor.match.case import Cased, recase
from monitor.match.compiled import Check, CompiledRule, LiteralTable, TermTable
from monitor.match.explain import explain
from monitor.match.explain import where as make_where
from monitor.match.scan import find_terms, scan
from monitor.match.text import fold, quoted
from monitor.models import Match
from monitor.textfold import compared_feed, compatible


class Matcher:
    """The compiled rules. ``match`` is thread-safe: nothing in it changes but caches.

    ``literals``: what finding each literal means; ``terms``: each term, and the rules its
    being found triggers (``compiled.py``).
    """

    def __init__(
        self,
        automaton: ahocorasick.Automaton | None,
        rules: list[CompiledRule],
        terms: TermTable,
        literals: LiteralTable,
        cased: Cased | None = None,
    ) -> None:
        self.automaton = automaton  # None when no rule has a term
        self.rules = rules
        self.terms = terms
        self.literals = literals
        self.cased = cased or {}  # the literals of words written with capitals (case.py)

    def match(
        self,
        title: str,
        summary: str,
        *,
        feed_name: str = "",
        feed_url: str = "",
        tags: Sequence[str] = (),
    ) -> list[Match]:
        """Every rule that fires on this item, each with the terms that fired and where."""
        if self.automaton is None:
            return []
        # Matched in NFKC ("ＵＳ" is "US"), as the item's text was kept before it was kept as
        # written; quoted as written.
        shown_title, shown_summary = title, summary
        title, summary = compatible(title), compatible(summary)
        folded_title, title_offsets = fold(title)
        folded_summary, summary_offsets = fold(summary)
        text = folded_title + "\x00" + folded_summary
        hits = scan(self.automaton, text)
        if not hits:
            return []
        title_end = len(folded_title)
        cased = self.cased
        if cased and not cased.keys().isdisjoint(hits):  # a word written with capitals
            recase(hits, cased, title, title_offsets, summary, summary_offsets, title_end)
        terms = self.terms
        found = find_terms(hits, text, title_end, self.literals, terms.compiled)
        if not found:
            return []
        fired: list[int] = []
        found_terms = found.keys()
        checks: list[Sequence[Check]] = []
        # A rule triggered by two found terms is tested twice (rare, and cheaper than a set
        # of the candidates for every item); ``fired`` is made unique below.
        pairs = terms.pairs
        others = terms.checks
        for term_id in found:
            for index, other in pairs[term_id]:  # the rule's test inlined: it runs for every item
                if not found_terms.isdisjoint(other):
                    fired.append(index)
            if others[term_id]:
                checks.append(others[term_id])
        if checks:
            self._check(checks, found_terms, fired, feed_name, feed_url, tags)
        if not fired:
            return []
        where = (
            make_where((*quoted(shown_title, title, folded_title, title_offsets), 0, "title")),
            make_where(
                (*quoted(shown_summary, summary, folded_summary, summary_offsets),
                 title_end + 1, "summary")
            ),
        )  # fmt: skip
        rules, labels = self.rules, terms.labels
        if len(fired) == 1:
            return [explain(rules[fired[0]], labels, found, where)]
        snippets: dict[tuple[int, int], str] = {}
        return [explain(rules[i], labels, found, where, snippets) for i in sorted(set(fired))]

    def _check(
        self,
        checks: list[Sequence[Check]],
        found_terms: AbstractSet[int],
        fired: list[int],
        feed_name: str,
        feed_url: str,
        tags: Sequence[str],
    ) -> None:
        """The rules other than the usual one that the found terms trigger, into ``fired``."""
        item_feeds: set[str] | None = None
        item_tags: set[str] | None = None
        for listed in checks:
            for index, rest in listed:
                if rest is not None:
                    for any_of in rest:
                        if found_terms.isdisjoint(any_of):
                            break
                    else:
                        fired.append(index)
                    continue
                rule = self.rules[index]
                if rule.feeds:
                    if item_feeds is None:
                        item_feeds = {compared_feed(feed_name), compared_feed(feed_url)}
                    if rule.feeds.isdisjoint(item_feeds):
                        continue
                if rule.tags:
                    if item_tags is None:
                        item_tags = {t.casefold() for t in tags}
                    if rule.tags.isdisjoint(item_tags):
                        continue
                if rule.test(found_terms):
                    fired.append(index)
