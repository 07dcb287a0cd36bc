"""Headlines made comparable: outlet wrappers off, folded, stemmed, stop words out.

Pure: no I/O. "UPDATE 1-Harbour city mayor calls summit - Reuters" and "Mayor calls
summit | RT" become word lists a fuzzy score can compare. The words that carry the news
beyond its topic are kept apart: numbers, dates ("Monday", "March") and names ("kills 12 in
Nigeria" is not "kills 21 in Pakistan"), because a score over words alone does not see them.

The outlet wrappers come off by general rules (``dedup.outlet``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from monitor.dedup.languages import SPELT, STOP_WORDS
from monitor.dedup.outlet import strip_outlet
from monitor.textfold import compatible, english_stem, fold, stem

_ACRONYM = re.compile(r"\b(?:[A-Za-z]\.){2,}")  # "U.S." -> "US", "U.N." -> "UN"
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")  # "1,000" -> "1000" (not "6.4")
_WORD = re.compile(r"\d+(?:\.\d+)?|\w+")
# What a match of _ACRONYM / _THOUSANDS needs: a cheaper scan than the patterns', and a
# summary has periods and commas in every sentence. Each starts with its punctuation, the
# character before it asked behind: a pattern that starts with a literal is searched for
# that character (a fast scan in C), where one that starts with a class is tried at every
# position.
_ACRONYM_HINT = re.compile(r"\.(?<=[A-Za-z]\.)[A-Za-z]\.")
_THOUSANDS_HINT = re.compile(r",(?<=\d,)\d")
_ORDINAL = re.compile(r"^(\d+)(?:st|nd|rd|th)$")
_MARKED = re.compile(r"\^(\S+)")  # a name's word in a key (``Headline.key``)

# Spelled-out numbers mean the same as digits: "Sixteen killed" is "16 killed".
_SPELLED = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen", "twenty",
)  # fmt: skip
_ORDINALS = {"first": "1", "second": "2", "third": "3", "fourth": "4", "fifth": "5", "sixth": "6"}
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(_SPELLED)} | _ORDINALS
# Days and months date the news like numbers do: "shares close higher on Tuesday" is not
# Wednesday's report.
DATE_WORDS = frozenset(
    (
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        "january", "february", "march", "april", "may", "june", "july", "august",
        "september", "october", "november", "december",
    )
)  # fmt: skip
# Words that reverse the news while the rest of the headline stays the same.
_OPPOSITES = [
    ("open", "close"), ("higher", "lower"), ("rise", "fall"), ("gain", "lose"), ("win", "lose"),
    ("up", "down"), ("acquit", "convict"), ("lift", "impos"), ("lift", "continu"),
    ("releas", "taken"), ("releas", "admit"), ("approv", "reject"), ("buy", "sell"),
    ("start", "end"), ("increas", "decreas"), ("rais", "cut"), ("strengthen", "weaken"),
    ("surg", "slump"), ("jump", "drop"), ("resign", "appoint"), ("live", "die"),
]  # fmt: skip
_REVERSING = frozenset(word for pair in _OPPOSITES for word in pair)

# The store keeps each item's ``Headline.key`` so a restart need not parse the window again.
# Bump this whenever ``parse`` or the key format changes: keys of another version are ignored
# and their headlines parsed anew.
KEY_VERSION = 4  # 3: an abandoned version's (073e0db)
_NONE: frozenset[str] = frozenset()


class Headline:
    """A headline as dedup compares it; not changed once made.

    ``words`` are the stems of its content words in order; ``numbers`` its numbers and date
    words; ``names`` the stems of its names (capitalised words inside a sentence-case
    headline, and acronyms).

    A plain class rather than a frozen dataclass: compiled (setup.py), its ``__init__`` is
    C, where a frozen dataclass's is Python that sets each field through
    ``object.__setattr__``; a find makes several (``parse``, ``from_key``).
    """

    __slots__ = ("names", "numbers", "text", "words")

    def __init__(
        self, text: str, words: tuple[str, ...], numbers: frozenset[str], names: frozenset[str]
    ) -> None:
        self.text = text  # ``words`` joined by spaces: what the fuzzy score compares
        self.words = words
        self.numbers = numbers
        self.names = names

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headline):
            return NotImplemented
        return (
            self.text == other.text
            and self.words == other.words
            and self.numbers == other.numbers
            and self.names == other.names
        )

    def __hash__(self) -> int:
        return hash((self.text, self.words, self.numbers, self.names))

    def __repr__(self) -> str:
        return (
            f"Headline(text={self.text!r}, words={self.words!r}, numbers={self.numbers!r},"
            f" names={self.names!r})"
        )

    def key(self) -> str:
        """A compact string that ``from_key`` turns back into this headline ("^" marks names)."""
        if not self.names:
            return self.text
        names = self.names
        return " ".join(["^" + w if w in names else w for w in self.words])


def from_key(key: str) -> Headline:
    """The headline that ``Headline.key`` encoded (the index stores keys, not objects)."""
    if "^" not in key:  # no names: the key is the text (the story index rebuilds many)
        words = tuple(key.split())
        return Headline(" ".join(words), words, _numbers_of(words), _NONE)
    # No word holds a "^" (a word is a run of letters and digits, folded): each marks a
    # name, and the key without them is the text. Read by string methods and a pattern
    # in C, not token by token: a wire copy's headline is rebuilt from its key.
    words = tuple(key.replace("^", "").split())
    return Headline(" ".join(words), words, _numbers_of(words), _frozen(_MARKED.findall(key)))


def _digit(word: str) -> bool:
    return word[:1].isdigit()


def _numbers_of(words: tuple[str, ...]) -> frozenset[str]:
    return _frozen([w for w in words if w[:1].isdigit() or w in DATE_WORDS])


def _frozen(values: list[str]) -> frozenset[str]:
    # Most headlines have no number, many no name: each frozenset() is an object of its own
    # (216 bytes) in every headline kept, where one empty set serves them all.
    return frozenset(values) if values else _NONE


def _canonical(raw: str) -> str:
    """A word as compared: folded, numbers as digits, other words stemmed."""
    word = fold(raw)
    if word in _NUMBER_WORDS:
        return _NUMBER_WORDS[word]
    ordinal = _ORDINAL.match(word)
    if ordinal:
        return ordinal.group(1)
    if _digit(word) or word in DATE_WORDS:
        return word
    # Called once per spelling (``_known`` keeps the result): ``stem``'s own cache would
    # keep every word of the window a second time.
    return english_stem(word) if word.isascii() else stem(word)


# What parse asks of each word, known once per spelling (``_flags``).
_LOWER = 1  # starts in lower case
_ACRONYM_LIKE = 2  # all capitals, two letters or more
_CAPITAL = 4  # starts with a capital
_NAMEABLE = 8  # can be a name: no digit first, not a date word
_NUMBER = 16  # a number or date word once canonical


# Each spelling seen: its stem, the string ``_stems`` hands out ("" for a stop word), and
# its flags apart (``_flags``; parse alone reads them). Words follow Zipf's law, so the first
# spellings kept (the common ones) answer most; past the limit the newest tenth makes room.
# An lru_cache of (stem, flags) tuples kept a link, a tuple and a string besides; a string
# of the flags' character and the stem, a string of its own a spelling (22 bytes more a
# spelling of the STS and UCI headlines than the flags' table, and a slice of it to read).
_KNOWN_MAX = 100_000
_known: dict[str, str] = {}
_flags: dict[str, int] = {}
# One string for each stem handed out: the window's caches and each event's words keep the
# stems of the headlines and summaries they hold, the same common word in thousands of copies.
_stems: dict[str, str] = {}


def shared(stem: str) -> str:
    """The string handed out for ``stem`` when there is one (``_stems``), else ``stem``: a
    name's word read from its token ("^nato") is kept as the word its headlines share, not
    as a copy (and ``_stems`` gains nothing: it is bounded by the spellings read)."""
    return _stems.get(stem, stem)


def _learn(raw: str) -> str:
    """``raw``'s stem as ``_known`` keeps it: as compared (``_canonical``), shared
    (``_stems``); what its spelling says (the flags above) goes to ``_flags``."""
    # Without whitespace: a few characters fold into several words ("ﷺ"), and a headline's
    # key (space-separated) must give back the words ``parse`` gave (``from_key``).
    stem = "" if raw.casefold() in STOP_WORDS else "".join(_canonical(raw).split())
    if stem:
        stem = _stems.setdefault(stem, stem)
        flags = _LOWER if raw[:1].islower() else 0
        if raw.isupper() and len(raw) > 1:
            flags |= _ACRONYM_LIKE
        if raw[:1].isupper():
            flags |= _CAPITAL
        if not _digit(raw) and stem not in DATE_WORDS:
            flags |= _NAMEABLE
        if _digit(stem) or stem in DATE_WORDS:
            flags |= _NUMBER
        _flags[raw] = flags
    if len(_known) >= _KNOWN_MAX:
        for _ in range(_KNOWN_MAX // 10):
            _flags.pop(_known.popitem()[0], None)
        _stems.clear()  # only shares strings: cleared, the next spellings learnt share them
    _known[raw] = stem
    return stem


def _core(title: str) -> str:
    """The text whose words ``parse`` reads: outlet wrappers off, "U.S." as "US", "1,000"
    as "1000"."""
    core = strip_outlet(compatible(title))
    # The patterns cannot match without their punctuation: most headlines skip them.
    if "." in core and _ACRONYM_HINT.search(core):
        core = _ACRONYM.sub(lambda m: m.group().replace(".", ""), core)
    if "," in core and _THOUSANDS_HINT.search(core):
        core = _THOUSANDS.sub("", core)
    return core


def _words(core: str, language: str) -> list[str]:
    """The words of ``core`` as spelt, of a text in ``language`` (``languages.language``):
    less that language's function words."""
    drop = SPELT[language]
    return [raw for raw in _WORD.findall(core) if raw not in drop]


def content_words(text: str, language: str | None = None) -> tuple[str, ...]:
    """``parse(text, language).words`` alone, for a text read only for its words (a
    summary): the names, numbers and joined text that ``parse`` also makes are not made."""
    known_of = _known.get
    words = []
    core = _core(text)
    for raw in _WORD.findall(core) if language is None else _words(core, language):
        stem = known_of(raw)
        if stem is None:
            stem = _learn(raw)
        if stem:  # not a stop word
            words.append(stem)
    return tuple(words)


# A few: the story index rebuilds a title it holds from its key (``from_key``), and the
# event index is handed the headline the story index read, so a poll's titles are parsed
# once each (the ingest bench's first cycle at 300 feeds: 6 hits in 11,620 calls). 2,048 of
# them held about a MB at the peak.
@lru_cache(maxsize=256)
def parse(title: str, language: str | None = None) -> Headline:
    """The headline as compared (cached: the same headline may come again). ``language``:
    the item's (``languages.language``, decided on its headline and summary), whose function
    words are dropped as English stop words are; None: English, or not told."""
    core = _core(title)
    words: list[str] = []
    numbers: list[str] = []
    acronyms: list[str] = []
    capitals: list[str] = []
    lower = 0
    known_of, flags_of = _known.get, _flags.__getitem__
    for raw in _WORD.findall(core) if language is None else _words(core, language):
        stem = known_of(raw)
        if stem is None:
            stem = _learn(raw)
        if not stem:  # a stop word
            continue
        flags = flags_of(raw)
        if flags & _LOWER:
            lower += 1
        if flags & _NUMBER:
            numbers.append(stem)
        if flags & _NAMEABLE:
            if flags & _ACRONYM_LIKE:
                acronyms.append(stem)
            if flags & _CAPITAL and words:  # not the headline's first word
                capitals.append(stem)
        words.append(stem)
    # Capitals mark names only in a sentence-case headline; in Title Case or ALL CAPS every
    # word has them, so then only acronyms (in a headline not all in capitals) count.
    title_case = lower <= len(words) // 8
    names = _frozen(([] if core.isupper() else acronyms) + ([] if title_case else capitals))
    return Headline(" ".join(words), tuple(words), _frozen(numbers), names)


def parse_in(title: str, language: str | None) -> Headline:
    """``parse(title, language)``, from the cache ``parse(title)`` fills for an English one
    (a key of its own for ``parse(title, None)``)."""
    return parse(title) if language is None else parse(title, language)


def opposite(a: Headline, b: Headline) -> bool:
    """One says what the other reverses ("open" / "close", "higher" / "lower")."""
    if _REVERSING.isdisjoint(a.words) or _REVERSING.isdisjoint(b.words):
        return False  # most pairs: one of them has none of those words
    wa, wb = set(a.words), set(b.words)
    return any(
        (x in wa and y in wb and y not in wa and x not in wb)
        or (y in wa and x in wb and x not in wa and y not in wb)
        for x, y in _OPPOSITES
    )


def normalize(title: str) -> str:
    """The headline as compared: no outlet wrappers, folded, stemmed, stop words out."""
    return parse(title).text


def tokens(title: str) -> list[str]:
    """The words of ``normalize(title)``, in order."""
    return list(parse(title).words)


def numbers(title: str) -> frozenset[str]:
    """The numbers ("6.4" stays one; "1,000" is "1000"; "two" is "2") and date words."""
    return parse(title).numbers


def names(title: str) -> frozenset[str]:
    """The stems of the names in the headline (see ``parse``)."""
    return parse(title).names
