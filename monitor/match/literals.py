"""Literals: one folded word each and how a hit on it is checked (exact, stem or prefix),
shared by every term that uses it; and the Aho-Corasick automaton that finds them all.

Each literal's automaton keys and what they find (``keys.py``) are made with the literal,
so the automaton is filled by C loops at the end.
"""

from __future__ import annotations

from collections import deque

import ahocorasick

from monitor.match.case import Cased
from monitor.match.keys import (
    StemAt,
    WholeWord,
    WordStart,
    punctuated_words,
    stem_at,
    whole_word,
    word_start,
)
from monitor.match.text import boundaries, english_stem, is_cyrillic, stem, stem_keys

# A Cyrillic word is matched by its Russian stem only when the stem keeps this many letters:
# shorter stems catch unrelated words ("Киев" stems to "ки").
MIN_CYRILLIC_STEM = 4
_FIRST = (0,)  # the capitals of a capitalised word


class Literals:
    """Every literal of every rule, by id, with the automaton keys that find it; and, by
    literal id, how the terms use it (filled in by the builder as it makes terms)."""

    def __init__(self) -> None:
        # Literals by mode: word, stem or prefix -> literal id.
        self.exact: dict[str, int] = {}
        self.stems: dict[str, int] = {}
        self.prefixes: dict[str, int] = {}
        # Automaton keys and what each finds, made with each literal. Keys carry the spaces of
        # ``boundaries``: " word " is found only as a whole word, " stem" and " prefix" only
        # where a word starts.
        self.whole: dict[str, WholeWord] = {}
        self.starts: dict[str, StemAt | WordStart] = {}
        # Words with punctuation share a key when only their punctuation differs ("1.5",
        # "1,5"): one key with every such word, each checked against the text.
        self.punctuated: dict[str, list[tuple[str, int]]] = {}
        # By literal id: how many terms use it; the one-literal terms it triggers (None: none);
        # the one simple term it is, if it is found as that term and nothing else (else -1).
        self.shared: list[int] = []
        self.single: list[tuple[int, ...] | None] = []
        self.direct: list[int] = []
        # how (keyword, alias, exact) -> word -> its literal, for words not plain ASCII.
        self.words: dict[str, dict[str, int]] = {"keyword": {}, "alias": {}, "exact": {}}
        # Words written with capitals ("US", "May"): by the case-blind literal the automaton
        # finds, each cased literal made from its hits and the capitals it needs (``case.py``).
        self.cased: Cased = {}
        self.cased_ids: dict[tuple[int, tuple[int, ...]], int] = {}

    def literal(self, mode: str, word: str) -> int:
        if mode == "stem":
            return self.stem_literal(word)
        table = self.exact if mode == "exact" else self.prefixes
        literal = table.get(word)
        if literal is not None:
            return literal
        literal = table[word] = self.new_literal()
        if mode == "prefix":
            self.start(word, None, literal)
        elif word.isalnum():  # one exact literal per word: the key is its own
            key = f" {word} "
            self.whole[key] = whole_word((len(key), literal))
        else:  # "u.s.", "at&t": its boundaries, then the folded text checked
            self.punctuated.setdefault(boundaries(word), []).append((word, literal))
        return literal

    def new_literal(self) -> int:
        self.shared.append(0)
        self.single.append(None)
        self.direct.append(-1)
        return len(self.shared) - 1

    def stem_literal(self, word: str) -> int:
        # English words straight to the stemmer: ``stem``'s cache is for text, and costs as
        # much as the stemmer on a miss.
        root = english_stem(word) if word.isascii() else stem(word)
        literal = self.stems.get(root)
        if literal is None:
            literal = self.stems[root] = len(self.shared)  # a new literal, as new_literal
            self.shared.append(0)
            self.single.append(None)
            self.direct.append(-1)
            keys = stem_keys(word, root)
            key = " " + root
            if keys == (root,) and key not in self.starts and _stems_to(root, root):
                self.starts[key] = stem_at((len(key), root, literal))  # most: the stem's key
            else:
                for key in keys:
                    self.start(key, (root, literal), None)
        return literal

    def start(self, key: str, stem_of: tuple[str, int] | None, prefix: int | None) -> None:
        """A stem's or a prefix's literal found where a word starts with ``key``."""
        key = " " + key
        found = self.starts.get(key)
        stems: tuple[tuple[str, int], ...] = ()
        prefixes: tuple[int, ...] = ()
        if isinstance(found, StemAt):
            stems = ((found.stem, found.literal),)
        elif found is not None:
            stems, prefixes = found.stems, found.prefixes
        elif stem_of is not None and _stems_to(key[1:], stem_of[0]):  # most keys: one stem
            self.starts[key] = stem_at((len(key), *stem_of))
            return
        if stem_of is not None:
            stems += (stem_of,)
        if prefix is not None:
            prefixes += (prefix,)
        self.starts[key] = word_start((len(key), stems, prefixes))

    def word(self, word: str, how: str) -> int:
        """A literal for one word of a term: ``how`` is keyword, alias or exact."""
        if word.isascii() and word.isalnum():  # most words: a stem or the word, no more
            if how == "keyword":
                return self.stem_literal(word)
            literal = self.exact.get(word)
            if literal is None:  # ``literal("exact", word)`` for a word of letters and digits
                literal = self.exact[word] = len(self.shared)
                self.shared.append(0)
                self.single.append(None)
                self.direct.append(-1)
                key = f" {word} "
                self.whole[key] = whole_word((len(key), literal))
            return literal
        known = self.words[how]
        literal = known.get(word)
        if literal is not None:
            return literal
        if how == "exact" or not word.isalnum():
            literal = self.literal("exact", word)
        elif not word.isascii() and is_cyrillic(word):  # Russian and Ukrainian decline
            long_stem = len(stem(word)) >= MIN_CYRILLIC_STEM  # names and nouns alike
            literal = self.literal("stem" if long_stem else "exact", word)
        else:
            literal = self.literal("stem" if how == "keyword" else "exact", word)
        known[word] = literal
        return literal

    def cased_word(self, word: str, written: str, how: str) -> int:
        """``word`` as ``word(word, how)`` finds it (``how`` may also be prefix), where the
        text has a capital wherever ``written`` (the word as the rule writes it) has one.

        A keyword so written is a name or an acronym. An acronym is not stemmed ("US" is not
        "us", "NATO" not "NATOs"), nor a word with a capital after its first letter ("BoE"
        is not "Boeing"), nor a short name ("Fed" is not "Feds", "Ban" not "Banned"); a
        longer capitalised word is, as the plurals of names are news too ("Democrats",
        "Muslims", "Bitcoins"; "Путина" for "Путин").
        """
        if written[1:] == word[1:] and written.isascii():  # "May", "Putin": most such words
            capitals: tuple[int, ...] = _FIRST if written[0] != word[0] else ()
        else:
            capitals = tuple([i for i, c in enumerate(written) if c.isupper()])
        if not capitals:
            return self.literal("prefix", word) if how == "prefix" else self.word(word, how)
        if how == "prefix":
            parent = self.literal("prefix", word)
        elif written.isupper() or capitals != (0,) or (len(word) <= 3 and how == "keyword"):
            parent = self.word(word, "exact")
        else:
            parent = self.word(word, how)
        literal = self.cased_ids.get((parent, capitals))
        if literal is None:
            literal = self.cased_ids[parent, capitals] = self.new_literal()
            self.cased.setdefault(parent, []).append((literal, capitals))
        return literal

    def automaton(self) -> ahocorasick.Automaton | None:
        """Every key with what it finds, added by C loops: no Python step per key; None
        when there is no literal."""
        if not self.shared:
            return None
        automaton = ahocorasick.Automaton()
        add = automaton.add_word
        deque(map(add, self.whole.keys(), self.whole.values()), maxlen=0)
        deque(map(add, self.starts.keys(), self.starts.values()), maxlen=0)
        for spaced, words in self.punctuated.items():
            add(spaced, punctuated_words((len(spaced), tuple(words))))
        automaton.make_automaton()
        return automaton


def _stems_to(key: str, root: str) -> bool:
    """Whether the word ``key`` itself has stem ``root``: a ``StemAt`` key is one that does,
    so that the scan takes a word that ends where its key ends as found without stemming
    it (most hits); any other key is a ``WordStart``, whose words are all stemmed."""
    # as ``text.stem`` would stem it (an ASCII key without filling its cache, kept for text)
    return (english_stem(key) if key.isascii() else stem(key)) == root
