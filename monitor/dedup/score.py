"""How alike two headlines are (0-100), and whether the config calls them one story. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz import fuzz

from monitor.dedup.config import DedupConfig
from monitor.dedup.counter import news_words
from monitor.dedup.headline import Headline, opposite, parse, parse_in
from monitor.dedup.languages import headline_language
from monitor.dedup.reply import NOT_APART, Apart, apart

# A headline with fewer words than this besides its numbers and dates is mostly its numbers:
# "Feed 1 update 3" / "Feed 1 update 4", "Lottery results for 12 March" / "... 13 March" are
# the same template with other news in it, and the number penalty grows to match.
_FEW_WORDS = 3


def _mismatch(a: frozenset[str], b: frozenset[str], a_words: set[str], b_words: set[str]) -> bool:
    """Each side has one the other lacks: a substitution ("12 ... Nigeria" / "21 ... Pakistan")."""
    return bool(a - b_words) and bool(b - a_words)


# A figure's scale written after it ("100k", "$1.2bn", "3 million"): a figure is read both
# as written and scaled, and two figures agree when one reading of each does ("100m" is 100
# metres or 100 million; "$10 mil." is "$10 million" whether "mil" is known or not).
_SCALES = {"k": 3, "thousand": 3, "m": 6, "mn": 6, "mln": 6, "mil": 6, "million": 6,
           "b": 9, "bn": 9, "bln": 9, "bil": 9, "billion": 9}  # fmt: skip


# Cached, a few: a few figures ("1", "2014") are most of those that headlines write.
@lru_cache(maxsize=64)
def _readings(word: str, scale: int) -> frozenset[str]:
    """A figure by value ("1.0" is "1", "08" is "8"), as written and with its scale."""
    try:
        value = Decimal(word)
    except InvalidOperation:
        return frozenset({word})
    return frozenset(format(v.normalize(), "f") for v in (value, value.scaleb(scale)))


# Cached, a few: a new headline is compared with several candidates (``StoryIndex.find``)
# and its story's first headline, its figures read anew for each; a story's copies come
# close together, and more kept would hold more memory than they save time.
@lru_cache(maxsize=32)
def _figures(words: tuple[str, ...]) -> tuple[tuple[str, frozenset[str]], ...] | None:
    """A headline's figures, each as often as written and with its readings; None where two
    stand side by side (the parse cut "10:30", "1,200m" or "twenty-five" apart, or two
    numbers met once stop words went: "Xbox One 792p"), which cannot be read surely. The
    digits of a word that mixes letters and digits are a name's, not a figure ("H7N9",
    "MH370"; "M7.4" as m7, 4)."""
    figures: list[tuple[str, frozenset[str]]] = []
    digits = mixed = False  # the word before: a figure; a word with letters and digits
    for at, word in enumerate(words):
        if not word[:1].isdigit():
            digits, mixed = False, any(map(str.isdigit, word))
            continue
        if digits:
            return None
        digits = True
        if mixed:  # "m7" "4": the rest of a name's digits
            mixed = False
            continue
        after = words[at + 1] if at + 1 < len(words) else ""
        figures.append((word, _readings(word, _SCALES.get(after, 0))))
    return tuple(figures)


@dataclass(frozen=True, slots=True)
class Figures:
    """Two headlines' figures that disagree: each one's figures the other lacks, as parsed
    ("6.1" / "7.4"; "1,000" is "1000"). False: they do not disagree."""

    first: tuple[str, ...]
    second: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.first and self.second)


AGREE = Figures((), ())


def figures_differ(a: Headline, b: Headline) -> Figures:
    """Each side has a figure (a number in digits, not a date word) the other lacks, counted
    as often as written: "rates up 25 basis points" / "... 50 basis points", "note 17 for
    region 17" / "note 106 for region 17". A figure one side adds ("7.4" / "7.4 magnitude,
    10:30 GMT") is no substitution, nor one figure written two ways ("100,000" / "100k",
    "08" / "8", "$10 mil." / "$10 million"), nor a wire copy's update counter ("-- 3rd
    Update" / "-- 4th Update": ``counter``); figures side by side are not told apart."""
    parted = _parted(a, b)
    if parted is None:
        return AGREE
    lacking, rest = parted
    return Figures(tuple(lacking), tuple(word for word, _ in rest))


def _parted(a: Headline, b: Headline) -> tuple[list[str], list[tuple[str, frozenset[str]]]] | None:
    """``figures_differ``'s figures, before a ``Figures`` is made of them (``less_penalties``
    asks only whether there are any): those of ``a`` that ``b`` lacks, and those of ``b``
    left, each list not empty; None when the two do not disagree."""
    if not a.numbers or not b.numbers:
        return None
    ours, theirs = _figures(news_words(a.words)), _figures(news_words(b.words))
    if ours is None or theirs is None or ours == theirs:  # (a story's copies: the same)
        return None
    rest = list(theirs)  # each figure of ``b`` matched once, then taken off
    lacking: list[str] = []  # the figures of ``a`` that ``b`` lacks
    for word, figure in ours:
        for at, (_, other) in enumerate(rest):
            if not figure.isdisjoint(other):
                del rest[at]
                break
        else:
            lacking.append(word)
    return (lacking, rest) if lacking and rest else None


def _news_numbers(h: Headline) -> frozenset[str]:
    """``h.numbers`` less a wire update counter's ("-- 3rd Update": 3), unless the news has
    that number too."""
    words = news_words(h.words)
    if words is h.words:
        return h.numbers
    return frozenset(w for w in words if w in h.numbers)


def score_headlines(a: Headline, b: Headline, config: DedupConfig) -> float:
    """The similarity (0-100) of two parsed headlines: fuzzy score less the penalties."""
    if not a.text or not b.text:
        return 0.0
    return less_penalties(a, b, blend(a.text, b.text, config), config)


def blend(a: str, b: str, config: DedupConfig) -> float:
    """The fuzzy score of two headlines' texts before penalties: the blend of their token
    set and token sort ratios (``bound.by_bound`` computes the same, in the same order)."""
    return config.set_weight * fuzz.token_set_ratio(a, b) + (
        1 - config.set_weight
    ) * fuzz.token_sort_ratio(a, b)


def _share_enough(wa: set[str], wb: set[str], config: DedupConfig) -> bool:
    """Whether two headlines' words have ``min_shared`` in common (all of the shorter's
    where it has fewer): fewer is a topic, not a story."""
    return len(wa & wb) >= min(config.min_shared, max(len(wa), len(wb)))


def less_penalties(a: Headline, b: Headline, base: float, config: DedupConfig) -> float:
    """``score_headlines`` of two parsed headlines whose ``blend`` is ``base``, known
    already (``StoryIndex.find`` has it from the bound that ordered the candidates)."""
    if not a.text or not b.text:
        return 0.0
    # One shared word is a topic, not a story: "ropequi nerolin ostrikostvo" and "tukazibel
    # nebelrolin ostrikostvo" look alike letter by letter, but share one word. The story index
    # draws candidates the same way (``min_shared`` words in common), so what this accepts
    # the index finds, and ``monitor dedup-check`` says what the daemon would do.
    wa, wb = set(a.words), set(b.words)
    if not _share_enough(wa, wb, config):
        return 0.0
    # Numbers, dates and names carry the news: "kills 12 in Nigeria" is not "kills 21 in
    # Pakistan", "closes higher on Tuesday" is not "closes lower on Wednesday". A revised
    # figure is news, not a copy: two headlines whose figures disagree are two stories
    # (their event joins them, and the revision reaches the user as its update).
    if a.numbers and b.numbers:
        if _parted(a, b) is not None:  # (``figures_differ``)
            return 0.0
        # A wire copy's update counter is no number of the news either ("-- 3rd Update").
        na, nb = _news_numbers(a), _news_numbers(b)
    else:
        na, nb = a.numbers, b.numbers
    if _mismatch(na, nb, wa, wb):
        words = min(len(wa - a.numbers), len(wb - b.numbers))
        base -= config.number_penalty * max(1.0, _FEW_WORDS / max(words, 1))
    if _mismatch(a.names, b.names, wa, wb):
        base -= config.name_penalty
    if opposite(a, b):
        base -= config.opposite_penalty
    return max(0.0, base)


def similarity(a: str, b: str, config: DedupConfig) -> float:
    """The similarity (0-100) of two headlines after normalization and penalties."""
    return score_headlines(parse(a), parse(b), config)


class Verdict(NamedTuple):
    """Two headlines compared: their similarity, whether they are one story, the reply that
    keeps them apart though their score reaches the threshold (``reply.apart``), and the
    figures that disagree, which make two stories whatever the rest (``figures_differ``)."""

    score: float
    duplicate: bool
    apart: Apart
    figures: Figures = AGREE


def verdict(a: str, b: str, config: DedupConfig) -> Verdict:
    """Whether ``config`` makes two headlines one story, and why (``StoryIndex.find`` joins
    them on the same terms): a score at or above the threshold, no figure of one that the
    other revises ("Magnitude 6.1" / "Magnitude 7.4 earthquake": the score is 0), and no reply
    in one of them that the other lacks ("Zelensky rejects Putin's invitation" answers "Putin
    invites Zelensky": it is news of its own)."""
    pa, pb = parse_in(a, headline_language(a)), parse_in(b, headline_language(b))
    score = score_headlines(pa, pb, config)
    if score < config.threshold:
        return Verdict(score, False, NOT_APART, _parted_by_figures(pa, pb, config))
    why = apart(pa, pb)
    return Verdict(score, not why, why)


def _parted_by_figures(a: Headline, b: Headline, config: DedupConfig) -> Figures:
    """The figures that part two headlines below the threshold, when they are the reason:
    the pair shares enough words and its words alone score as one story. ``AGREE`` when the
    words part them anyway ("Magnitude 6.1 earthquake ..." / "Dow falls 7.4 points ...")."""
    figures = figures_differ(a, b)
    if not figures:
        return AGREE
    if not _share_enough(set(a.words), set(b.words), config):
        return AGREE
    return figures if blend(a.text, b.text, config) >= config.threshold else AGREE


def is_duplicate(a: str, b: str, config: DedupConfig) -> tuple[float, bool]:
    """The similarity of two headlines and whether ``config`` makes them one story."""
    found = verdict(a, b, config)
    return found.score, found.duplicate
