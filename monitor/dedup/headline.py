"""Headlines made comparable: outlet wrappers off, folded, stop words out; numbers and names kept.

Pure: no I/O. "UPDATE 1-Harbour city mayor calls summit - Reuters" and "Mayor calls
summit | RT" become word lists a fuzzy score can compare; the numbers and the names in
them are kept apart because a score alone does not see that "kills 12 in Nigeria" and
"kills 21 in Pakistan" are different news.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# A wire tag at the start: "UPDATE 2-", "EXCLUSIVE:", "BREAKING -", "WRAPUP 1-".
_LEAD_TAG = re.compile(
    r"^\s*(?:UPDATE|REFILE|CORRECTED|CORRECTION|WRAPUP|EXCLUSIVE|BREAKING|ANALYSIS|FACTBOX|"
    r"INSIGHT|RPT|URGENT|LIVE|WATCH|VIDEO|PHOTOS?|OPINION|EDITORIAL|FEATURE)"
    r"(?:\s+\d+)?\s*[-:–—|]\s*",
    re.IGNORECASE,
)
# An outlet segment: " - Reuters", " | RT", " – BBC News" at the end (at most 4 words) ...
_TAIL = re.compile(r"\s+[-|–—]\s+(?:[\w.&'’]+\s*){1,4}$")
# ... or at the start ("BBC News - "), at most 3 words.
_HEAD = re.compile(r"^(?:[\w.&'’]+\s*){1,3}\s[-|–—]\s+")
_PAREN_TAIL = re.compile(r"\s*\((?:[\w.&'’]+\s*){1,2}\)\s*$")
_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
STOP_WORDS = frozenset(
    (
        "a", "about", "above", "after", "again", "against", "all", "am", "amid", "an", "and",
        "any", "are", "as", "at", "be", "been", "before", "being", "below", "between", "both",
        "but", "by", "can", "did", "do", "does", "doing", "don", "down", "during", "each",
        "few", "for", "from", "further", "had", "has", "have", "having", "he", "her", "here",
        "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "just", "me", "more",
        "most", "my", "new", "no", "nor", "not", "now", "of", "off", "on", "once", "only",
        "or", "other", "our", "out", "over", "own", "s", "said", "same", "say", "says", "she",
        "should", "so", "some", "such", "t", "than", "that", "the", "their", "them", "then",
        "there", "these", "they", "this", "those", "through", "to", "too", "under", "until",
        "up", "very", "was", "we", "were", "what", "when", "where", "which", "while", "who",
        "whom", "why", "will", "with", "you", "your",
    )
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Headline:
    """A headline as dedup compares it."""

    text: str  # normalized words joined by spaces
    words: tuple[str, ...]
    numbers: frozenset[str]
    names: frozenset[str]


def strip_outlet(title: str) -> str:
    """The headline without wire tags and outlet names around it."""
    text = title.strip()
    for _ in range(2):
        text = _LEAD_TAG.sub("", text)
    stripped = _TAIL.sub("", text)
    if len(stripped.split()) >= 3:
        text = stripped
    stripped = _PAREN_TAIL.sub("", text)
    if len(stripped.split()) >= 3:
        text = stripped
    head = _HEAD.match(text)
    if head and len(text[head.end() :].split()) >= 4:
        text = text[head.end() :]
    return text


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@lru_cache(maxsize=4096)
def parse(title: str) -> Headline:
    core = strip_outlet(title)
    raw_words = _WORD.findall(core)
    names = frozenset(
        _fold(w)
        for i, w in enumerate(raw_words)
        if i > 0 and w[:1].isupper() and not w.isupper() and _fold(w) not in STOP_WORDS
    )
    folded = [_fold(w) for w in raw_words]
    words = tuple(w for w in folded if w not in STOP_WORDS)
    numbers = frozenset(n.replace(",", ".") for n in _NUMBER.findall(core))
    return Headline(" ".join(words), words, numbers, names)


def normalize(title: str) -> str:
    """The headline as compared: no outlet wrappers, folded, stop words out, one space apart."""
    return parse(title).text


def tokens(title: str) -> list[str]:
    """The words of ``normalize(title)``, in order."""
    return list(parse(title).words)


def numbers(title: str) -> frozenset[str]:
    """The numbers in the headline, whole ("6.4" stays one number)."""
    return parse(title).numbers


def names(title: str) -> frozenset[str]:
    """Capitalised words (folded) that are not the first word of the headline nor stop words."""
    return parse(title).names
