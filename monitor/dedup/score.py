"""How alike two headlines are (0-100), and whether the config calls them one story. Pure."""

from __future__ import annotations

from rapidfuzz import fuzz

from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import Headline, opposite, parse

# A headline with fewer words than this besides its numbers and dates is mostly its numbers:
# "Feed 1 update 3" / "Feed 1 update 4", "Lottery results for 12 March" / "... 13 March" are
# the same template with other news in it, and the number penalty grows to match.
_FEW_WORDS = 3
# Two names this alike (0-100) are taken for spellings of one: transliterations
# ("zelenski" / "zelenskiy" / "zelenskyy"), a dropped letter ("gaddafi" / "qaddafi").
_SPELLING = 75.0


def _mismatch(a: frozenset[str], b: frozenset[str], a_words: set[str], b_words: set[str]) -> bool:
    """Each side has one the other lacks: a substitution ("12 ... Nigeria" / "21 ... Pakistan")."""
    return bool(a - b_words) and bool(b - a_words)


def _renamed(a: Headline, b: Headline, a_words: set[str], b_words: set[str]) -> bool:
    """Each side has a name the other lacks and that is no spelling of a word the other has
    alone: "... in Texas" / "... in Ohio", not "Zelensky" / "Zelenskiy" (one man)."""
    a_only, b_only = a.names - b_words, b.names - a_words
    if not a_only or not b_only:
        return False
    a_rest, b_rest = a_words - b_words, b_words - a_words
    # A name swapped for a name, the rest the same: where either adds other words, the
    # names are more often detail one copy gives ("Mitt", "US") than other news.
    if a_rest - a.names or b_rest - b.names:
        return False
    if _initials(a_only, b, b_rest) or _initials(b_only, a, a_rest):
        return False
    return _unspelled(a_only, b_rest) and _unspelled(b_only, a_rest)


def _initials(names: frozenset[str], other: Headline, rest: set[str]) -> bool:
    """A short name that the other's words spell out ("boe" / "Bank of England", "sc" /
    "Supreme Court"): its letters hold their initials, in order."""
    initials = "".join([w[0] for w in other.words if w in rest])
    if len(initials) < 2:
        return False
    for name in names:
        if len(name) <= 5:
            letters = iter(name)
            if all(c in letters for c in initials):
                return True
    return False


def _unspelled(names: frozenset[str], words: set[str]) -> bool:
    """Some name of ``names`` is no spelling of any of ``words``."""
    ratio = fuzz.ratio
    return any(all(ratio(name, word) < _SPELLING for word in words) for name in names)


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
    if len(wa & wb) < min(config.min_shared, max(len(wa), len(wb))):
        return 0.0
    # Numbers, dates and names carry the news: "kills 12 in Nigeria" is not "kills 21 in
    # Pakistan", "closes higher on Tuesday" is not "closes lower on Wednesday".
    if _mismatch(a.numbers, b.numbers, wa, wb):
        words = min(len(wa - a.numbers), len(wb - b.numbers))
        base -= config.number_penalty * max(1.0, _FEW_WORDS / max(words, 1))
    if config.name_penalty and _renamed(a, b, wa, wb):
        base -= config.name_penalty
    if opposite(a, b):
        base -= config.opposite_penalty
    return max(0.0, base)


def similarity(a: str, b: str, config: DedupConfig) -> float:
    """The similarity (0-100) of two headlines after normalization and penalties."""
    return score_headlines(parse(a), parse(b), config)


def is_duplicate(a: str, b: str, config: DedupConfig) -> tuple[float, bool]:
    """The similarity of two headlines and whether ``config`` makes them one story."""
    score = similarity(a, b, config)
    return score, score >= config.threshold
