"""Text folding for everything that compares words: item text (normalize), story matching
(dedup) and rules (match) fold and stem the same way. Pure: no I/O.

Folding is per character, so that a text and a query term fold alike whatever normalization
form each arrived in, and so that the matcher can map a folded offset back to the original:
compatibility forms decomposed (NFKD), case folded, accents (combining marks) dropped;
typographic apostrophes become "'" and hyphen look-alikes "-"; the invisible format
characters that split a word only by accident (a soft hyphen from a CMS, zero-width joiners,
a word joiner, a BOM, bidi marks) are dropped, while a zero-width space, which does separate
words, becomes a space. Stemming is Snowball's: Russian rules for Cyrillic words (they fit
Ukrainian names well enough), English otherwise.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import snowballstemmer

# Typographic apostrophes become "'", so "Putin’s" and "Putin's" are the same text.
APOSTROPHES = "'’‘´ʼ′"
# Hyphen look-alikes become "-": they join the words of a phrase ("peace‐talks").
HYPHENS = "‐‑‒"
# Dropped: they split words only by accident, and survive NFKC.
INVISIBLE = "\u00ad\u200c\u200d\u2060\ufeff\u200e\u200f"
# A space that takes no room: it separates words.
ZERO_WIDTH_SPACE = "\u200b"
# What other non-ASCII punctuation folds to: no term can need it (it never joins a phrase,
# and a word's punctuation at either end is dropped), and an ASCII folded text is scanned
# faster.
PUNCTUATION = "|"

# Characters whose folded form is not one character long (ß -> ss, a combining accent
# dropped): a text holding one needs an explicit offset map (see ``match.text.fold``).
IRREGULAR: set[str] = set()


class _FoldTable(dict[int, str]):
    """``str.translate`` table, computed on first sight of each character."""

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        if ch in APOSTROPHES:
            out = "'"
        elif ch in HYPHENS:
            out = "-"
        elif ch in INVISIBLE:
            out = ""
        elif ch.isspace() or ch == ZERO_WIDTH_SPACE:
            out = " "
        else:
            # casefold can bring marks back (İ -> i + dot above), so decompose after it too.
            folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", ch).casefold())
            out = "".join(c for c in folded if not unicodedata.combining(c))
            if len(out) == 1 and not out.isascii() and not out.isalnum():
                out = PUNCTUATION  # dashes, quotes, bullets: text stays ASCII more often
        if len(out) != 1:
            IRREGULAR.add(ch)
        self[code] = out
        return out


FOLD_TABLE = _FoldTable()


def fold(text: str) -> str:
    """``text`` folded, one character at a time (see the module's doc)."""
    if text.isascii():  # the common case: lower() is folding
        return text.lower()
    return fold_words(text)[0]


# Non-ASCII words folded already, each folded to as many characters (not in IRREGULAR).
# str.translate looks every character of a text that is not all ASCII up in FOLD_TABLE,
# in Python's dict protocol: several times the cost of a lookup per word of a vocabulary
# that news repeats. Bounded: emptied when full, which only costs the words again.
_WORDS: dict[str, str] = {}
_WORDS_MAX = 20_000


def fold_words(text: str) -> tuple[str, bool]:
    """``fold(text)``, and whether every character of ``text`` folded to exactly one (no
    ``IRREGULAR`` one in it, so that offsets in the folded text are offsets in ``text``).

    Word by word between spaces (a space folds to itself): an ASCII word's fold is its
    lower case, a non-ASCII one's is looked up, and a text with a word not known yet is
    translated whole once, its words kept for the next text.
    """
    # An ASCII character that is not its lower case folded (a tab, a line break: whitespace
    # but the space) is not printable; nor are the invisible ones, which fold to nothing.
    if not text.isprintable():
        folded = text.translate(FOLD_TABLE)
        return folded, len(folded) == len(text) and IRREGULAR.isdisjoint(text)
    words = text.split(" ")
    get = _WORDS.get
    folded_words = [w.lower() if w.isascii() else get(w) for w in words]
    if None not in folded_words:
        return " ".join(folded_words), True  # type: ignore[arg-type]  # no None, just checked
    regular = True
    if len(_WORDS) >= _WORDS_MAX:
        _WORDS.clear()
    for i, word in enumerate(words):
        if folded_words[i] is None:
            folded = word.translate(FOLD_TABLE)
            if len(folded) == len(word) and IRREGULAR.isdisjoint(word):
                _WORDS[word] = folded
            else:  # never kept: a text with such a word takes this path each time
                regular = False
            folded_words[i] = folded
    return " ".join(folded_words), regular  # type: ignore[arg-type]  # every None replaced


_INVISIBLE_TABLE: dict[int, str | None] = dict.fromkeys(map(ord, INVISIBLE))
_INVISIBLE_TABLE[ord(ZERO_WIDTH_SPACE)] = " "
# str.translate with a dict looks up every character in Python: a search first, at C speed,
# spares that for the text (nearly all) that has none of them.
_ANY_INVISIBLE = re.compile(f"[{INVISIBLE}{ZERO_WIDTH_SPACE}]")


def drop_invisible(text: str) -> str:
    """``text`` without the invisible characters, a zero-width space made a space; nothing
    else changed (what normalize keeps of an item's text, unfolded)."""
    return text if _ANY_INVISIBLE.search(text) is None else text.translate(_INVISIBLE_TABLE)


def compatible(text: str) -> str:
    """``text`` (an item's text as ``normalize.clean_text`` keeps it: NFC) as it is compared:
    NFKC ("2º" -> "2o", "km²" -> "km2", "ＵＳ" -> "US", "ﬁ" -> "fi"), what that makes invisible
    dropped and its spaces one space again. Item text is kept as the outlet wrote it, for
    showing; story matching and event words read this form, as they always did. The same
    string (no copy) for ASCII text and for the rest that NFKC leaves as it is: nearly all.
    """
    if text.isascii():
        return text
    done = _COMPATIBLE.get(text)
    if done is not None:
        return done
    if unicodedata.is_normalized("NFKC", text):
        return text
    folded = drop_invisible(unicodedata.normalize("NFKC", text))
    # NFKC makes spaces of a few characters ("¨" -> " ̈", a no-break space).
    if not (folded.isprintable() and "  " not in folded and folded.strip(" ") == folded):
        folded = " ".join(folded.split())
    # An item's text is compared by several stages (rules, stories, events, labels), each
    # calling this; NFKC of a 300-character summary that it changes ("[…]", "2º") is ~5 us.
    global _CHARACTERS
    _CHARACTERS += len(text)
    if _CHARACTERS > _BUDGET:
        _COMPATIBLE.clear()
        _CHARACTERS = len(text)
    _COMPATIBLE[text] = folded
    return folded


# Texts NFKC changes, by the text: the few polls' worth that the stages read in turn, at most
# ``_BUDGET`` characters of them (then forgotten at once).
_COMPATIBLE: dict[str, str] = {}
_BUDGET = 500_000
_CHARACTERS = 0


def compared_feed(name: str) -> str:
    """A feed's name or address as a rule's ``feeds`` compares it: NFKC ("ＮＨＫ" is "NHK"),
    case-blind, without a trailing slash."""
    return compatible(name).casefold().rstrip("/")


_CYRILLIC = re.compile("[\u0400-\u04ff]")


def is_cyrillic(word: str) -> bool:
    return not word.isascii() and _CYRILLIC.search(word) is not None


_ENGLISH = snowballstemmer.stemmer("english")
_RUSSIAN = snowballstemmer.stemmer("russian")
for _stemmer in (_ENGLISH, _RUSSIAN):
    # PyStemmer keeps a cache of its own (10,000 words): ``stem`` has a larger one, and past
    # 10,000 distinct words PyStemmer's evictions made each word dearer.
    if hasattr(_stemmer, "maxCacheSize"):
        _stemmer.maxCacheSize = 0


# The English stemmer itself, for words known to be ASCII (no cache, no script test).
english_stem: Callable[[str], str] = _ENGLISH.stemWord


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball stem of a folded word: "negotiations" -> "negoti"."""
    stemmer = _RUSSIAN if is_cyrillic(word) else _ENGLISH
    result: str = stemmer.stemWord(word)
    return result
