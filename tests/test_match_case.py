"""A term written with capitals matches only where the text has them (docs/rules.md, "Letter
case"): the cases a user trial found ("Tell us about sanctions" fired @US), and the limits."""

from __future__ import annotations

import pytest

from monitor.match import compile_rules, format_match
from monitor.match.config import EntityConfig, RuleConfig
from monitor.match.matcher import Matcher

ENTITIES = [
    EntityConfig(name="United States", aliases=["US", "U.S."]),
    EntityConfig(name="Theresa May", aliases=["May"]),
    EntityConfig(name="General Motors", aliases=["GM"]),
    EntityConfig(name="Vladimir Putin", aliases=["Путин"]),
]
RULES = {  # the trial's rules, and a few more of each kind
    "us-sanctions": "@US AND sanctions",
    "may": "@May",
    "fed": '"Fed" OR "Federal Reserve"',
    "gm": "@GM",
    "fed-keyword": "Fed",
    "fed-lower": "fed",
    "apple": "Apple",
    "democrat": "Democrat",
    "boe": "BoE",
    "negotiation": "negotiation",
    "putin": "@Путин",
    "trump-prefix": "Trump*",
}


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    rules = [RuleConfig(name=name, query=query) for name, query in RULES.items()]
    return compile_rules(rules, ENTITIES)


def fired(matcher: Matcher, title: str) -> list[str]:
    return sorted(m.rule for m in matcher.match(title, ""))


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        # The trial's four texts: a common word is not the name or acronym written so.
        ("Tell us about sanctions you faced", []),
        ("Stocks may rise as data improves", []),
        ("Farmers fed up with new subsidy rules", ["fed-lower"]),
        ("EU to vote on GM crops ban", ["gm"]),  # in capitals: only context could tell
        # ... and where the text has the capitals, they fire as before.
        ("US imposes sanctions on Iran", ["us-sanctions"]),
        ("U.S. sanctions bite", ["us-sanctions"]),
        ("Theresa May resigns", ["may"]),
        ("Fed raises rates", ["fed", "fed-keyword", "fed-lower"]),
        ("Apple's profit falls", ["apple"]),
        ("apples are cheap this year", []),
        ("Путина встретили в Пекине", ["putin"]),
        ("Trumpism rises", ["trump-prefix"]),
        ("trumpet sales soar", []),
    ],
)
def test_a_term_with_capitals_matches_only_where_the_text_has_them(
    matcher: Matcher, title: str, expected: list[str]
) -> None:
    assert fired(matcher, title) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        # The limits: a Title Case headline capitalises the word ...
        ("Stocks May Rise As Data Improves", ["may"]),
        # ... and a headline wholly in capitals carries no case: matched as before.
        ("US STOCKS FALL ON NEW SANCTIONS", ["us-sanctions"]),
        ("FARMERS FED UP WITH NEW RULES", ["fed", "fed-keyword", "fed-lower"]),
        # A term in lower case stays case-blind.
        ("NEGOTIATIONS STALL", ["negotiation"]),
    ],
)
def test_title_case_and_shouting_headlines_match_as_before(
    matcher: Matcher, title: str, expected: list[str]
) -> None:
    assert fired(matcher, title) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        # An acronym, a short name or a word with an inner capital is not stemmed ...
        ("Feds demand answers from GM on recall defect", ["fed-lower", "gm"]),
        ("Boeing stock tumbles", []),
        # ... a longer capitalised name is (its plural is news), and lower case as before.
        ("Democrats face divide over strike", ["democrat"]),
        ("negotiations resume", ["negotiation"]),
    ],
)
def test_acronyms_and_short_names_are_not_stemmed(
    matcher: Matcher, title: str, expected: list[str]
) -> None:
    assert fired(matcher, title) == expected


def test_the_summary_has_its_own_case(matcher: Matcher) -> None:
    """A shouting title does not lift the summary's case, nor the reverse."""
    assert fired_in(matcher, "MARKETS FALL", "Tell us about sanctions") == []
    assert fired_in(matcher, "Tell us about sanctions", "US SANCTIONS BITE") == ["us-sanctions"]


def fired_in(matcher: Matcher, title: str, summary: str) -> list[str]:
    return sorted(m.rule for m in matcher.match(title, summary))


def test_the_explanation_shows_the_text_as_written(matcher: Matcher) -> None:
    """Where folding moves offsets (ß is two letters folded), the hit is still the
    original text's span."""
    (match,) = matcher.match("Straße news: US sanctions bite", "")
    assert [(h.term, h.text, h.field, h.start, h.end) for h in match.hits] == [
        ("@US", "US", "title", 13, 15),
        ("sanctions", "sanctions", "title", 16, 25),
    ]
    assert format_match(match).startswith(
        "us-sanctions [normal]: @US = 'US' (title 13-15), sanctions = 'sanctions' (title 16-25)"
    )


def test_a_quoted_word_with_capitals_outside_ascii_compiles_and_keeps_its_case() -> None:
    # Hypothesis found '"Ёa"' raising KeyError: 'phrase' (a one-word quoted phrase written
    # with a capital that is not ASCII): a rule that check-config accepts must compile.
    rules = [RuleConfig(name="yo", query='"Ёлка"'), RuleConfig(name="fed", query='"Fed"')]
    matcher = compile_rules(rules, [])
    assert fired(matcher, "Ёлка на площади") == ["yo"]
    assert fired(matcher, "ёлка на площади") == []
    assert fired(matcher, "Fed holds rates") == ["fed"]
    assert fired(matcher, "Farmers fed up") == []
