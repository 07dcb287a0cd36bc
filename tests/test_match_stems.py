"""Keywords fire on their inflections by Snowball stem; the automaton looks only where a word
with that stem can start, which rests on what Snowball does to a final y."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.match import compile_rules
from monitor.match.config import RuleConfig
from monitor.match.text import stem, stem_keys

# Letters that Snowball's English suffix rules are made of, so that endings are common.
LETTERS = st.text(st.sampled_from("aeiouylsdtnrcbgizm"), min_size=1, max_size=12)


@settings(max_examples=3000, deadline=None)
@given(LETTERS)
def test_a_word_whose_stem_ends_in_i_has_an_i_or_a_y_there(word: str) -> None:
    """The automaton looks for "polici" and "policy", not for every word starting "polic":
    that is only right if Snowball never changes a word before the i of its stem."""
    root = stem(word)
    if len(root) > 1 and root.endswith("i"):
        assert word.startswith(root[:-1]) and word[len(root) - 1] in "iy", (word, root)
        assert any(word.startswith(key) for key in stem_keys(word, root))


@settings(max_examples=1000, deadline=None)
@given(LETTERS)
def test_every_word_with_the_stem_starts_with_one_of_its_keys(word: str) -> None:
    root = stem(word)
    assert any(word.startswith(key) for key in stem_keys(word, root)), (word, root)


@pytest.mark.parametrize(
    ("query", "title", "fires"),
    [
        ("ai", "AI chips sell out", True),
        ("ai", "AIs write the news", True),
        ("AI", "Aid arrives in Gaza", False),
        ("ai", "An army of analysts", False),
        ("policies", "A policy for AI", True),
        ("policy", "New policies", True),
        ("economies", "The economy grows", True),
        ("economy", "Economies slow", True),
        ("economy", "Economists disagree", False),
        ("tries", "He is trying again", True),
        ("try", "Two tries", True),
        ("cities", "City council meets", True),
        ("city", "Cities grow", True),
    ],
)
def test_keywords_whose_stem_ends_in_i(query: str, title: str, fires: bool) -> None:
    matcher = compile_rules([RuleConfig(name="r", query=query)], [])
    assert bool(matcher.match(title, "")) is fires
