"""Text as the matcher sees it: folded (case, accents, apostrophes, hyphens) and stemmed.

``fold`` keeps one folded character per original character wherever it can, so a match's
offsets point into the original text; where folding changes the length (ß -> ss, a
combining accent dropped) an explicit offset map is built.
"""

from __future__ import annotations

import unicodedata
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
    if len(folded) == len(text) and "  " not in folded:
        return folded, None
    offsets: list[int] = []
    for i, ch in enumerate(text):
        offsets.extend([i] * len(_TABLE[ord(ch)]))
    if "  " in folded:
        # One space between words, so a phrase matches across a double space or a newline.
        keep = [i for i, c in enumerate(folded) if c != " " or i == 0 or folded[i - 1] != " "]
        folded = "".join(folded[i] for i in keep)
        offsets = [offsets[i] for i in keep]
    return folded, offsets


def fold_term(text: str) -> str:
    """A term as written in a rule, folded the same way, with single spaces."""
    return " ".join(fold(text)[0].split())


def is_cyrillic(word: str) -> bool:
    return any("\u0400" <= c <= "\u04ff" for c in word)


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
