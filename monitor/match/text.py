"""Text as the matcher sees it: folded (``monitor.textfold``, as dedup and normalize fold),
with offsets kept.

``fold`` makes one folded character per original character wherever it can, so a hit's
offsets in the folded text are its offsets in the original; where folding changes the
length (ß -> ss, a combining accent dropped) it also returns an explicit offset map.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from monitor import textfold

_TABLE = textfold.FOLD_TABLE


def fold(text: str) -> tuple[str, list[int] | None]:
    """The folded text and, when lengths differ, each folded char's original offset.

    The offset list has one more entry than the folded text: ``len(text)``, so that the
    end of a hit maps back as easily as its start.
    """
    # textfold.fold's two cases inline: this runs for every title and summary matched.
    if text.isascii():  # the common case: lower() is folding, and it keeps every offset
        return text.lower(), None
    folded, regular = textfold.fold_words(text)
    if regular:
        return folded, None
    offsets: list[int] = []
    for i, ch in enumerate(text):
        offsets.extend([i] * len(_TABLE[ord(ch)]))
    offsets.append(len(text))
    return folded, offsets


def quoted(
    shown: str, compared: str, folded: str, offsets: list[int] | None
) -> tuple[str, list[int] | None]:
    """The text a match quotes (its hits, its snippet) and the offset map of its fold: the
    item's text as the outlet wrote it (``shown``) where it folds to the text that was
    matched, its NFKC form's (``compared``: ``textfold.compatible``), as nearly all does;
    else that form ("½" -> "1⁄2")."""
    if shown is compared:  # ASCII, and the rest that NFKC leaves as it is
        return compared, offsets
    shown_folded, shown_offsets = fold(shown)
    return (shown, shown_offsets) if shown_folded == folded else (compared, offsets)


# Letters and digits stay; every other ASCII byte becomes a space (bytes.translate: several
# times faster than str.translate, and most folded text is ASCII).
_ASCII_BOUNDARIES = bytes(c if chr(c).isalnum() else 32 for c in range(128)) + bytes(128)
_NON_WORD = re.compile(r"[\W_]")


def boundaries(folded: str) -> str:
    """``folded`` with each character that is not a letter or digit made a space, and a
    space before and after: a word is then a key that starts (and, whole, ends) with a space,
    so the automaton itself reports only words, never the inside of one. Same offsets + 1."""
    if folded.isascii():
        return (b" " + folded.encode("ascii").translate(_ASCII_BOUNDARIES) + b" ").decode("ascii")
    return " " + _NON_WORD.sub(" ", folded) + " "


def original_span(offsets: list[int] | None, start: int, end: int) -> tuple[int, int]:
    """Offsets in the original text of the folded span ``start:end``."""
    if offsets is None:
        return start, end
    # A dropped accent after the last letter belongs to the hit: end where the next kept
    # character begins (but at least one character after the last one that is kept).
    return offsets[start], max(offsets[end], offsets[end - 1] + 1)


_SPLIT = re.compile(r"[\s\-]+")
_LEADING = re.compile(r"^[\W_]+")
_TRAILING = re.compile(r"[\W_]+$")


def term_words(text: str) -> tuple[str, ...]:
    """A term as written in a rule, folded and cut into words at spaces and hyphens.

    Punctuation at either end of a word is dropped ("(summit)" -> "summit"), except the
    final dot of an abbreviation ("U.S." stays "u.s.", so "U.S. sanctions" is a phrase of
    two words); inside a word, punctuation stays and must be matched as written ("at&t").
    """
    if text.isascii():  # most terms of most rules: no cache needed
        if text.isalnum():
            return (text.lower(),)
        if text.replace(" ", "").isalnum():  # "Volodymyr Zelensky"
            return tuple(text.lower().split())
    return _term_words(text)


@lru_cache(maxsize=100_000)
def _term_words(text: str) -> tuple[str, ...]:
    return _cut(fold(text)[0])


def _cut(text: str, marks: bool = False) -> tuple[str, ...]:
    """A term's words: split at spaces and punctuation, an abbreviation's dot kept ("U.S.");
    with ``marks``, a word that another follows keeps the punctuation written between them,
    at one space from it where a space was written ("mt.", "marks &", "toys \"")."""
    words: list[str] = []
    marked = ""  # with ``marks``: the last word and the punctuation after it
    for word in _SPLIT.split(text):
        stripped = _LEADING.sub("", word)
        core = _TRAILING.sub("", stripped)
        if "." in core and stripped[len(core) : len(core) + 1] == ".":
            core += "."
        if not marks or not words:
            marked = stripped
        elif core:  # the word before is followed: it keeps what is written up to this one
            lead = word[: len(word) - len(stripped)]
            words[-1] = f"{marked} {lead}" if lead else marked
            marked = stripped
        else:  # punctuation alone between two words: "Marks & Spencer"
            marked = f"{marked} {word}"
        if core:
            words.append(core)
    return tuple(words)


def marked_words(text: str) -> tuple[tuple[str, ...], tuple[str, ...] | None] | None:
    """An entity spelling with punctuation after a word that another word follows ("Mt. Gox",
    "George W. Bush", "Guns N' Roses"), cut so that each such word keeps that punctuation
    ("mt.", "gox"): the text must then have it there as written, and only spaces and hyphens
    after it, as between any two words of a phrase. With it, the words as written (case
    kept) when the spelling has a capital. None for any other spelling (most)."""
    if text.isascii() and text.replace(" ", "").isalnum():
        return None
    folded = _cut(fold(text)[0], marks=True)
    if folded == term_words(text):
        return None
    if text == text.lower():
        return folded, None
    written = _cut(text, marks=True)
    return folded, written if len(written) == len(folded) else None


def closed_up(words: tuple[str, ...], initials: bool = False) -> tuple[str, ...] | None:
    """``marked_words``' words with no space after a dot ("Mt.Gox", as outlets also write
    it): a word that ends with a dot joined to the next; None where no word does. With
    ``initials``, only an initial joined to the initial after it ("J.K. Rowling" of "J. K.
    Rowling", "George H.W. Bush": the press's usual form)."""
    out = list(words[:1])
    for word in words[1:]:
        joins = out[-1].endswith(".") and out[-1][-2:-1].isalnum()
        if joins and initials:  # "j." (or "j.k.") and "k."
            joins = len(out[-1].split(".")[-2]) == 1 and _initial(word)
        if joins:
            out[-1] += word
        else:
            out.append(word)
    return tuple(out) if len(out) < len(words) else None


def _initial(word: str) -> bool:
    return len(word) == 2 and word[1] == "." and word[0].isalnum()


def written_words(text: str) -> tuple[str, ...] | None:
    """The words of ``term_words`` as the term writes them (case kept, not folded), when it
    writes a capital; else None (most terms), and None too where the two cuts disagree."""
    if text == text.lower():
        return None
    if text.isascii() and text.replace(" ", "").isalnum():
        return tuple(text.split())
    words = _cut(text)
    return words if len(words) == len(term_words(text)) else None


WORD = re.compile(r"[^\W_]+")  # letters and digits: \w without "_"
# What may separate the words of a phrase: spaces and hyphens, nothing else.
_PHRASE_GAP = re.compile(r"[\s\-]+")


def phrase_gap_end(text: str, at: int) -> int:
    """Where the next word of a phrase may start: past spaces and hyphens only."""
    m = _PHRASE_GAP.match(text, at)
    return m.end() if m else at


is_cyrillic = textfold.is_cyrillic
english_stem = textfold.english_stem
stem = textfold.stem


def stem_keys(word: str, root: str) -> tuple[str, ...]:
    """What the automaton looks for so that every word with stem ``root`` starts with one
    of them (``word`` is the keyword that has that stem).

    Snowball cuts endings, and English changes at most the last letter of what is left: a
    final y becomes i ("policy" -> "polici"); an e is put back where -ing was cut ("trading"
    -> "trade"); -bility becomes -ble and loses its e ("possibility" -> "possibl"). So a word
    with an English stem ending in i starts with it or with it less the i and then a y; one
    ending in e or bl, with it or with it less that letter and then an i. The exceptions are
    a consonant and -ying ("vying" -> "vie") and "skies" -> "sky". Looking for those two
    rather than for the stem less its last letter keeps "ai" from checking the stem of every
    word that starts with "a", and "trade" of every word that starts with "trad". A keyword
    always finds itself: where it starts with none of them, the start it shares with its
    stem is looked for too.
    """
    if word.startswith(root) and root[-1] not in "ie" and root[-2:] != "bl" and root != "sky":
        return (root,)  # most stems: the word starts with it, and no English ending changed
    keys = _english_keys(root) if len(root) > 1 and not is_cyrillic(root) else (root,)
    if word.startswith(keys):
        return keys
    n = 0
    for a, b in zip(word, root, strict=False):
        if a != b:
            break
        n += 1
    key = root[:n]
    if key.endswith("i") and len(key) > 1 and not is_cyrillic(key):
        key = key[:-1]
    return (*keys, key or root) if keys != (root,) else (key or root,)


def _english_keys(root: str) -> tuple[str, ...]:
    if len(root) == 3 and root.endswith("ie") and root[0] not in "aeiou":
        return (root, root[0] + "y")  # a consonant and -ying: "dying" -> "die"
    if root == "sky":  # Snowball's one other such exception: "skies"
        return (root, "ski")
    if root[-1] == "i":
        return (root, root[:-1] + "y")
    if root[-1] == "e" or root.endswith("bl"):
        return (root, root[:-1] + "i")
    return (root,)


# A character that splits a phrase in the text (docs/rules.md), written between two words.
_PUNCTUATED = re.compile(r"\w\s*[^\w\s\-]+\s*\w")


def written_slop(phrase: str, words: Sequence[str]) -> int | None:
    """0 for a phrase written with punctuation between its words ("Mt. Gox"), as the news
    writes it: the text's punctuation there does not split it (as with ``~0``); else None."""
    return 0 if len(words) > 1 and _PUNCTUATED.search(phrase) else None
