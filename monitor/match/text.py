"""Text as the matcher sees it: folded (case, accents, apostrophes, hyphens) and stemmed.

``fold`` keeps one folded character per original character wherever it can, so a match's
offsets point into the original text; where folding changes the length (ß -> ss, a
combining accent dropped) an explicit offset map is built.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from functools import lru_cache

import snowballstemmer

_APOSTROPHES = "'’‘`´ʼ′"
_HYPHENS = "-‐‑‒"  # word-joining hyphens become spaces: "peace-talks" = "peace talks"


class _FoldTable(dict[int, str]):
    """``str.translate`` table computed on first sight of each character."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        if ch in _APOSTROPHES:
            out = "'"
        elif ch in _HYPHENS or ch.isspace():
            out = " "
        else:
            decomposed = unicodedata.normalize("NFKD", ch)
            out = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
        self[code] = out
        return out


_TABLE = _FoldTable()


def fold(text: str) -> tuple[str, list[int] | None]:
    """The folded text and, when lengths differ, each folded char's original offset."""
    folded = text.translate(_TABLE)
    if len(folded) == len(text):
        return folded, None
    offsets: list[int] = []
    for i, ch in enumerate(text):
        offsets.extend([i] * len(_TABLE[ord(ch)]))
    return folded, offsets


def fold_term(text: str) -> str:
    """A term as written in a rule, folded the same way, with single spaces."""
    return " ".join(fold(text)[0].split())


_CYRILLIC = re.compile("[\u0400-\u04ff]")


def is_cyrillic(word: str) -> bool:
    return _CYRILLIC.search(word) is not None


_ENGLISH = snowballstemmer.stemmer("english")
_RUSSIAN = snowballstemmer.stemmer("russian")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball stem of a folded word: Russian rules for Cyrillic (also fits Ukrainian
    names well enough), English otherwise. "negotiations" -> "negoti"."""
    stemmer = _RUSSIAN if is_cyrillic(word) else _ENGLISH
    result: str = stemmer.stemWord(word)
    return result


def word_char(ch: str) -> bool:
    return ch.isalnum()


# Words, and each punctuation mark on its own: a phrase matches across spaces and hyphens
# (folded to spaces), never across punctuation.
_TOKEN = re.compile(r"\w+|[^\w\s]")


class Tokens:
    """A folded text as one string of tokens, " w1 w2 . w3 ", for the automaton.

    Patterns in the automaton start with a space, so they can only match at the start of
    a token; where a hit is, and what original text it covers, is worked out lazily.
    """

    __slots__ = ("_folded", "_offsets", "_spans", "_starts", "text")

    def __init__(self, text: str) -> None:
        self._folded, self._offsets = fold(text)
        self.text = " " + " ".join(_TOKEN.findall(self._folded)) + " "
        self._spans: list[tuple[int, int]] | None = None
        self._starts: list[int] | None = None

    def token_at(self, position: int) -> int:
        """The index of the token starting at ``position`` of ``self.text``."""
        if self._starts is None:
            starts, at = [], 1
            for token in self.text[1:-1].split(" "):
                starts.append(at)
                at += len(token) + 1
            self._starts = starts
        return bisect_right(self._starts, position) - 1

    def word(self, position: int) -> str:
        """The whole token starting at ``position`` of ``self.text``."""
        return self.text[position : self.text.index(" ", position)]

    def original_span(self, first: int, last: int) -> tuple[int, int]:
        """Offsets in the original text of tokens ``first`` to ``last`` (inclusive)."""
        if self._spans is None:
            self._spans = [m.span() for m in _TOKEN.finditer(self._folded)]
        start, end = self._spans[first][0], self._spans[last][1]
        if self._offsets is not None:
            return self._offsets[start], self._offsets[end - 1] + 1
        return start, end


@lru_cache(maxsize=100_000)
def term_tokens(text: str) -> str:
    """A rule's term in the automaton's form: folded tokens joined by single spaces."""
    return " ".join(_TOKEN.findall(fold(text)[0]))
