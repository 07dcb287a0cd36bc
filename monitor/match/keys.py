"""What an automaton key finds: the payload the automaton hands back with each hit.

A key is a folded word with the spaces of ``text.boundaries`` around it: " word " is found
only as a whole word; " stem" and " prefix" only where a word starts. The scan
(``scan.py``) checks a hit by its payload's type.

The payloads are made by the hundred thousand when a config compiles, so each type has a
maker that builds it from a tuple in C (``tuple.__new__``, as ``NamedTuple._make`` does)
rather than through the Python ``__new__`` of a ``NamedTuple``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import NamedTuple


class WholeWord(NamedTuple):
    """One exact word (" word "): found, it is the literal's hit."""

    length: int  # of the key
    literal: int


class StemAt(NamedTuple):
    """One stem where a word starts (" stem"): the literal's hit if the whole word that
    starts there has that stem, as the key's own word has (``literals._stems_to``). Most hits
    are of this kind."""

    length: int
    stem: str
    literal: int


class WordStart(NamedTuple):
    """Several stems and prefixes found at the same word start."""

    length: int
    stems: tuple[tuple[str, int], ...]  # (stem, literal): the word must have the stem
    prefixes: tuple[int, ...]  # literals of ``word*``: any word that starts so


class PunctuatedWords(NamedTuple):
    """Words with punctuation inside ("u.s.", "at&t") whose boundaries are this key: each
    is checked against the folded text."""

    length: int
    words: tuple[tuple[str, int], ...]  # (word, literal)


Key = WholeWord | StemAt | WordStart | PunctuatedWords

whole_word: Callable[[tuple[int, int]], WholeWord] = partial(tuple.__new__, WholeWord)
stem_at: Callable[[tuple[int, str, int]], StemAt] = partial(tuple.__new__, StemAt)
word_start: Callable[[tuple[int, tuple[tuple[str, int], ...], tuple[int, ...]]], WordStart] = (
    partial(tuple.__new__, WordStart)
)
punctuated_words: Callable[[tuple[int, tuple[tuple[str, int], ...]]], PunctuatedWords] = partial(
    tuple.__new__, PunctuatedWords
)
