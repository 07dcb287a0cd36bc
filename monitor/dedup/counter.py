"""A wire copy's update counter is not a figure of the news. Pure.

A wire service sends a story again and again under a count of its revisions, and outlets
carry different revisions of one story: "Chiquita, Fyffes Agree to $1.07 Billion Merger Deal
-- 3rd Update" and "... -- 4th Update" (Dow Jones) are one story, while "Magnitude 6.1" /
"Magnitude 7.4" are two (``score.figures_differ``). Reuters' leading "UPDATE 2-" is taken off
with the other wire tags (``outlet.strip_outlet``); where that leaves it (too little of the
headline after it, or all of it in capitals) it stays a figure: once punctuation is gone,
"UPDATE 2-" reads as "Updated: 12 dead ...", whose 12 is the news. The trailing count is
read here from the stems (``Headline.words``: all the story window keeps of a headline).

A trailing "update" with a bare number is a product's version, a real figure ("Apple releases
iOS 7.1 update", "Windows 8.1 Update 1", "Day One Update"), and so is a number before or after
"update" inside the headline ("iOS 7.1 update 3 released"): only the ordinal form ("3rd
Update", whose "rd" the parse keeps as a word of its own) counts as a counter at the end.
Measured on UCI (``bench/dedup_quality.py``): reading a bare number before or after a last
"update" as a counter too joins "iOS 7 update" to "iOS 7.1" and parts "840mb day one update"
from "Day 1 patch", and finds no counter. Limit: a product's "3rd update" at the end is read
as a counter.
"""

from __future__ import annotations

_UPDATE = "updat"  # the stem of "Update", "UPDATED", "update"
_ORDINAL_ENDINGS = frozenset({"st", "nd", "rd", "th"})  # "1st", "2nd", "3rd", "4th" as parsed


def news_words(words: tuple[str, ...]) -> tuple[str, ...]:
    """``words`` without a wire update counter at the end, "... -- 3rd Update" (its number,
    ending and "update"); ``words`` itself when there is none (most headlines)."""
    end = len(words)
    if end > 3 and words[-1] == _UPDATE and words[-2] in _ORDINAL_ENDINGS and _count(words[-3]):
        return words[: end - 3]
    return words


def _count(word: str) -> bool:
    """A revision count: a whole number, small ("-- 4th Update" is as far as UCI goes)."""
    return word.isdigit() and len(word) <= 2
