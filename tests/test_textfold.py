"""One folding for item text, story matching and rules: what normalize keeps of a title is
what a rule and the story index compare, whatever invisible characters or script it came in."""

from __future__ import annotations

import pytest

from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import normalize as headline_words
from monitor.dedup.score import is_duplicate
from monitor.match import compile_rules
from monitor.match.config import RuleConfig
from monitor.normalize import clean_text


@pytest.mark.parametrize(
    ("title", "query"),
    [
        ("Peace\u200btalks resume in Geneva", '"peace talks"'),  # a zero-width space
        ("Nego\u00adtiations resume in Geneva", "negotiations"),  # a soft hyphen
        ("Negotiations\u200f resume in Geneva", "negotiations"),  # a bidi mark
        ("Zelensky\u2060 meets Putin", "Zelensky AND Putin"),  # a word joiner
        ("Zürich talks resume", "zurich"),
    ],
)
def test_a_rule_fires_on_the_title_normalize_keeps(title: str, query: str) -> None:
    matcher = compile_rules([RuleConfig(name="r", query=query, channels=["c"])], [])
    assert [m.rule for m in matcher.match(clean_text(title), "")] == ["r"]


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Peace\u200btalks resume in Geneva", "Peace talks resume in Geneva"),
        ("Nego\u00adtiations resume in Geneva", "Negotiations resume in Geneva"),
        ("Zürich talks resume", "Zurich talks resume"),
        # Russian stems for Cyrillic words, as the rules have them: one story in two cases.
        ("Зеленский прибыл в Москву", "Зеленского ждут в Москве"),
    ],
)
def test_the_story_index_compares_words_as_the_rules_do(a: str, b: str) -> None:
    words_a = set(headline_words(clean_text(a)).split())
    words_b = set(headline_words(clean_text(b)).split())
    assert len(words_a & words_b) >= 2, (words_a, words_b)


def test_two_spellings_of_one_headline_are_one_story() -> None:
    a, b = "Peace\u200btalks resume in Geneva", "Peace talks resume in Geneva"
    assert is_duplicate(clean_text(a), clean_text(b), DedupConfig()) == (100.0, True)
