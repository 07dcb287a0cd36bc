"""How alike two headlines are (0-100), and whether the config calls them one story. Pure."""

from __future__ import annotations

from rapidfuzz import fuzz

from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import Headline, parse


def score_headlines(a: Headline, b: Headline, config: DedupConfig) -> float:
    if not a.text or not b.text:
        return 0.0
    base = config.set_weight * fuzz.token_set_ratio(a.text, b.text) + (
        1 - config.set_weight
    ) * fuzz.token_sort_ratio(a.text, b.text)
    # Numbers and names carry the news: "kills 12 in Nigeria" is not "kills 21 in Pakistan".
    if a.numbers and b.numbers and not (a.numbers & b.numbers):
        base -= config.number_penalty
    if a.names and b.names and not (a.names & b.names):
        base -= config.name_penalty
    return max(0.0, base)


def similarity(a: str, b: str, config: DedupConfig) -> float:
    """The similarity (0-100) of two headlines after normalization and penalties."""
    return score_headlines(parse(a), parse(b), config)


def is_duplicate(a: str, b: str, config: DedupConfig) -> tuple[float, bool]:
    score = similarity(a, b, config)
    return score, score >= config.threshold
