"""The one pass over an item: literals found by the automaton, checked at word
boundaries, then the terms they make (phrases chained, proximity and scopes applied).

A raw hit counts only where a word starts; then, by what its key finds (``keys.py``):
- a whole word (entity aliases, quoted phrases): the word ends where the key ends;
- a stem (bare keywords, Cyrillic aliases): the whole word has the literal's Snowball stem;
- a prefix (``word*``): any word that starts with it.
Phrases chain their words' hits across spaces and hyphens only. Nothing here runs a
regular expression written by a user, so no rule can make matching slow.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

import ahocorasick

from monitor.match.compiled import CompiledTerm, Found, Hits, LiteralTable
from monitor.match.keys import StemAt, WholeWord, WordStart
from monitor.match.text import WORD, boundaries, phrase_gap_end, stem


def scan(automaton: ahocorasick.Automaton, text: str) -> Hits:
    """Every literal found as a whole word or at a word start in the folded ``text``."""
    # The hottest loop of the daemon: helpers are bound to locals. Offsets in ``spaced``
    # are those in ``text`` plus one (the leading space).
    hits: Hits = {}
    get = hits.get
    spaced = boundaries(text)
    next_space = spaced.find
    # Keys of one word start come one after another ("ka", "kami", "kamiro"): the word
    # and its stem are worked out once for all of them.
    word_start = -1
    last = 0
    root = ""
    for end, key in automaton.iter(spaced):
        kind = type(key)
        if kind is StemAt:  # one keyword stem where a word starts: most hits
            length, wanted, literal = key
            start = end - length + 1
            if start != word_start:
                word_start = start
                if spaced[end + 1] == " ":  # the word is the key, whose stem is its own
                    last, root = end, wanted  # (``literals._stems_to``)
                else:
                    last = next_space(" ", end) - 1  # where the word that starts here ends
                    root = stem(text[start:last])
            if root == wanted:
                spans = get(literal)
                if spans is None:
                    hits[literal] = {start: last}
                else:
                    spans[start] = last
        elif kind is WholeWord:  # " word " ends one past the word
            length, literal = key
            start = end - length + 1
            spans = get(literal)
            if spans is None:
                hits[literal] = {start: end - 1}
            else:
                spans[start] = end - 1
        elif kind is WordStart:
            length, stems, prefixes = key
            start = end - length + 1
            if start != word_start:
                word_start = start
                last = next_space(" ", end) - 1
                root = stem(text[start:last])
            for wanted, literal in stems:
                if root == wanted:
                    hits.setdefault(literal, {})[start] = last
            for literal in prefixes:
                hits.setdefault(literal, {})[start] = last
        else:  # words with punctuation in them: "u.s."
            length, words = key
            start = end - length + 1
            for word, literal in words:
                if text[start : end - 1] == word:
                    hits.setdefault(literal, {})[start] = end - 1
    return hits


def find_terms(
    hits: Hits,
    text: str,
    title_end: int,
    literals: LiteralTable,
    terms: Sequence[CompiledTerm | None],
) -> Found:
    """The terms found, from the literals found (``terms``: each term, None if simple)."""
    found: Found = {}
    direct, triggers = literals
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
