"""Match an item against every rule: one Aho-Corasick pass, then word-boundary checks.

Title and summary are folded (``text.fold``) and joined by a NUL, which no term contains and
no phrase crosses, so the automaton runs over the item once. A raw hit counts only where a
word starts; then, by the literal's mode:
- exact (entity aliases, quoted phrases): the word ends where the literal ends;
- stem (bare keywords, Cyrillic aliases): the whole word has the literal's Snowball stem;
- prefix (``word*``): any word that starts with it.
Phrases chain their words' hits across spaces and hyphens only. Nothing here runs a
regular expression written by a user, so no rule can make matching slow.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from typing import Any, NamedTuple

from monitor.match.config import RuleConfig
from monitor.match.explain import snippet
from monitor.match.query import Groups
from monitor.match.text import WORD, boundaries, fold, original_span, phrase_gap_end, stem
from monitor.models import Match, TermHit

# Hits of each literal: literal id -> {start: end} in the folded item text.
Hits = dict[int, dict[int, int]]
# Spans of each term that was found: term id -> {start: end}.
Found = dict[int, dict[int, int]]
# A rule's query as a function of the term ids found.
RuleTest = Callable[[AbstractSet[int]], bool]
# A rule to check when a term is found: its index, and the groups left to test (None: the
# rule's own test, with its scopes).
Check = tuple[int, Groups | None]


class CompiledTerm(NamedTuple):
    """A term of some rule: any of ``alternatives`` (sequences of literal ids) found."""

    label: str  # as the user wrote it: Putin, @"Volodymyr Zelensky", "peace talks"
    alternatives: tuple[tuple[int, ...], ...]
    field: str | None = None
    slop: int | None = None

    @property
    def simple(self) -> bool:
        """One literal, found anywhere: its hits are the term's hits, no more checks."""
        return (
            self.field is None
            and self.slop is None
            and len(self.alternatives) == 1
            and len(self.alternatives[0]) == 1
        )


class CompiledRule(NamedTuple):
    config: RuleConfig
    test: RuleTest
    # The same test for the usual shape, (a OR b) AND (c OR d), as groups of term ids.
    groups: Groups | None
    terms: tuple[int, ...]  # the terms that count when the rule fires (not those under NOT)
    feeds: frozenset[str]  # casefolded; empty: every feed
    tags: frozenset[str]


class Matcher:
    """The compiled rules. ``match`` is thread-safe: nothing in it changes but caches."""

    def __init__(
        self,
        automaton: Any,
        rules: list[CompiledRule],
        labels: list[str],
        terms: list[CompiledTerm | None],
        triggers: list[Sequence[int]],
        direct: list[int],
        pairs: list[Sequence[tuple[int, frozenset[int]]]],
        checks: dict[int, list[Check]],
    ) -> None:
        """The tables of ``builder.Builder``, all by index: ``labels`` and ``terms`` by term
        (a term is None when simple: one literal found anywhere, its hits the term's hits);
        ``triggers``, the terms to check when a literal is found, and ``direct``, the term a
        literal is the whole of (or -1), by literal. The rules to check when a term is
        found: ``pairs`` by term, for the usual rule, (a OR b) AND (c OR d) on every feed,
        each with the other group; ``checks``, for the others, by term."""
        self._automaton = automaton  # ahocorasick.Automaton, or None when there is no rule
        self._rules = rules
        self._labels = labels
        self._terms = terms
        self._triggers = triggers
        self._direct = direct
        self._pairs = pairs
        self._checks = checks
        self._checked = checks.keys()

    @property
    def rule_count(self) -> int:
        return len(self._rules)

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
        if self._automaton is None:
            return []
        folded_title, title_offsets = fold(title)
        folded_summary, summary_offsets = fold(summary)
        text = folded_title + "\x00" + folded_summary
        hits = self._scan(text)
        if not hits:
            return []
        title_end = len(folded_title)
        found = self._found(hits, text, title_end)
        if not found:
            return []
        fired: list[int] = []
        found_terms = found.keys()
        pairs = self._pairs
        # A rule triggered by two found terms is tested twice (rare, and cheaper than a set
        # of the candidates for every item); ``fired`` is made unique below.
        for term_id in found:
            for index, other in pairs[term_id]:  # rule.test inlined: it runs for every item
                if not found_terms.isdisjoint(other):
                    fired.append(index)
        if not found_terms.isdisjoint(self._checked):
            self._check(found_terms, fired, feed_name, feed_url, tags)
        if not fired:
            return []
        where = ((title, title_offsets, 0), (summary, summary_offsets, title_end + 1))
        rules = self._rules
        return [self._explain(rules[index], found, where) for index in sorted(set(fired))]

    def _check(
        self,
        found_terms: AbstractSet[int],
        fired: list[int],
        feed_name: str,
        feed_url: str,
        tags: Sequence[str],
    ) -> None:
        """The rules other than the usual one that the found terms trigger, into ``fired``."""
        item_feeds: set[str] | None = None
        item_tags: set[str] | None = None
        checks = self._checks
        for term_id in found_terms:
            for index, rest in checks.get(term_id, ()):
                if rest is not None:
                    for any_of in rest:
                        if found_terms.isdisjoint(any_of):
                            break
                    else:
                        fired.append(index)
                    continue
                rule = self._rules[index]
                if rule.feeds:
                    if item_feeds is None:
                        item_feeds = {feed_name.casefold(), feed_url.casefold().rstrip("/")}
                    if rule.feeds.isdisjoint(item_feeds):
                        continue
                if rule.tags:
                    if item_tags is None:
                        item_tags = {t.casefold() for t in tags}
                    if rule.tags.isdisjoint(item_tags):
                        continue
                if rule.test(found_terms):
                    fired.append(index)

    def _scan(self, text: str) -> Hits:
        """Every literal found as a whole word or at a word start: the one pass over the item."""
        # The hottest loop of the daemon: helpers are inlined and bound to locals. Offsets
        # in ``spaced`` are those in ``text`` plus one (the leading space).
        hits: Hits = {}
        get = hits.get
        spaced = boundaries(text)
        next_space = spaced.find
        # Keys of one word start come one after another ("ka", "kami", "kamiro"): the word
        # and its stem are worked out once for all of them.
        word_start = -1
        last = 0
        root = ""
        for end, (kind, length, a, b) in self._automaton.iter(spaced):
            start = end - length + 1
            if kind == 1:  # one keyword stem where a word starts: most hits
                if start != word_start:
                    word_start = start
                    last = next_space(" ", end) - 1  # where the word that starts here ends
                    root = stem(text[start:last])
                if root == a:
                    spans = get(b)
                    if spans is None:
                        hits[b] = {start: last}
                    else:
                        spans[start] = last
            elif kind == 0:  # one whole word: " word " ends one past the word
                spans = get(a)
                if spans is None:
                    hits[a] = {start: end - 1}
                else:
                    spans[start] = end - 1
            elif kind == 2:
                stop = end - 1
                for literal in a:
                    hits.setdefault(literal, {})[start] = stop
                for word, literal in b:  # a word with punctuation in it: "u.s."
                    if text[start:stop] == word:
                        hits.setdefault(literal, {})[start] = stop
            else:
                if start != word_start:
                    word_start = start
                    last = next_space(" ", end) - 1
                    root = stem(text[start:last])
                for target, literal in a:
                    if root == target:
                        hits.setdefault(literal, {})[start] = last
                for literal in b:
                    hits.setdefault(literal, {})[start] = last
        return hits

    def _found(self, hits: Hits, text: str, title_end: int) -> Found:
        """The terms found, from the literals found (phrases chained, scopes applied)."""
        found: Found = {}
        direct = self._direct
        triggers = self._triggers
        terms = self._terms
        for literal, spans in hits.items():
            term_id = direct[literal]
            if term_id >= 0:
                found[term_id] = spans
                continue
            for term_id in triggers[literal]:
                if term_id in found:
                    continue
                term = terms[term_id]
                if term is None:  # simple
                    found[term_id] = spans
                    continue
                longest = _term_spans(term, hits, text, title_end)
                if longest:
                    found[term_id] = longest
        # Terms that were checked and not found are simply absent: NOT sees them as absent.
        return found

    def _explain(
        self,
        rule: CompiledRule,
        found: Found,
        where: tuple[tuple[str, list[int] | None, int], tuple[str, list[int] | None, int]],
    ) -> Match:
        """The match as the user sees it: each term's hits in the original text, a snippet."""
        summary_base = where[1][2]
        spans: list[tuple[int, int, int, str]] = []
        for term_id in rule.terms:
            label = self._labels[term_id]
            for start, end in found.get(term_id, {}).items():
                spans.append((start, -end, term_id, label))
        spans.sort()
        hits: list[TermHit] = []
        covered: dict[int, int] = {}  # term id -> end of its last hit kept
        for start, neg_end, term_id, label in spans:
            if covered.get(term_id, -1) >= -neg_end:
                continue  # inside a longer hit of the same term: "Zelensky" in "V. Zelensky"
            covered[term_id] = -neg_end
            source, offsets, base = where[1] if start >= summary_base else where[0]
            lo, hi = original_span(offsets, start - base, -neg_end - base)
            field = "summary" if start >= summary_base else "title"
            hits.append(TermHit(label, source[lo:hi], field, lo, hi))
        first = hits[0]
        source = where[0][0] if first.field == "title" else where[1][0]
        return Match(
            rule=rule.config.name,
            severity=rule.config.severity,
            channels=tuple(rule.config.channels),
            hits=tuple(hits),
            snippet=snippet(source, first.start, first.end),
        )


def _term_spans(term: CompiledTerm, hits: Hits, text: str, title_end: int) -> dict[int, int]:
    """Where a term of several literals (a phrase, an entity's spellings, a scope) is found."""
    out: list[tuple[int, int]] = []
    for words in term.alternatives:
        for literal in words:  # most often a phrase's other word is not in the item
            if literal not in hits:
                break
        else:
            if term.slop is None:
                out.extend(_phrase(words, hits, text))
            else:
                out.extend(_near(words, term.slop, hits, text, title_end))
    if not out:
        return {}
    if term.field == "title":
        out = [span for span in out if span[0] < title_end]
    elif term.field == "summary":
        out = [span for span in out if span[0] > title_end]
    longest: dict[int, int] = {}
    for start, end in out:  # alternatives may start at the same word
        if end > longest.get(start, -1):
            longest[start] = end
    return longest


def _phrase(words: tuple[int, ...], hits: Hits, text: str) -> list[tuple[int, int]]:
    """Where the words follow one another, separated only by spaces and hyphens."""
    out = []
    for start, end in hits[words[0]].items():
        for literal in words[1:]:
            following = hits[literal].get(phrase_gap_end(text, end))
            if following is None:
                break
            end = following
        else:
            out.append((start, end))
    return out


def _near(
    words: tuple[int, ...], slop: int, hits: Hits, text: str, title_end: int
) -> list[tuple[int, int]]:
    """``"a b"~N``: the words in this order, in one field, at most N other words apart."""
    starts = [m.start() for m in WORD.finditer(text)]
    paths = sorted(hits[words[0]].items())  # (start of the first word, end of the last)
    for literal in words[1:]:
        following = sorted(hits[literal].items())
        paths = sorted(
            {
                (first, end)
                for first, last_end in paths
                for start, end in following
                if start >= last_end
                and (first < title_end) == (start < title_end)
                and bisect_left(starts, start) - bisect_left(starts, last_end) <= slop
            }
        )
    return paths
