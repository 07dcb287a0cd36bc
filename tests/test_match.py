"""Rules: entities with aliases in any script, keywords with inflections, the query
language, scopes, and terms that must not fire."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import config as config_module
from monitor.errors import ConfigError, RuleError
from monitor.match import compile_rules, format_match, match_to_json, validate_rules
from monitor.match.config import EntityConfig, RuleConfig

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seed" / "000_90feba810193b560.txt"

ENTITIES = [
    EntityConfig(
        name="Volodymyr Zelensky",
        aliases=["Zelensky", "Zelenskyy", "Zelenskiy", "Зеленский", "Зеленський"],
    ),
    EntityConfig(name="Kyiv", aliases=["Kiev", "Київ", "Киев"]),
    EntityConfig(name="Vladimir Putin", aliases=["Putin", "Путин"]),
    EntityConfig(name="Nicolás Maduro", aliases=["Maduro"]),
]


def fires(query: str, title: str, summary: str = "", **scope: object) -> bool:
    rule = RuleConfig(name="r", query=query, **scope)  # type: ignore[arg-type]
    matcher = compile_rules([rule], ENTITIES)
    feed = {"feed_name": "TASS", "feed_url": "https://tass.com/rss", "tags": ("russia", "wire")}
    return bool(matcher.match(title, summary, **feed))  # type: ignore[arg-type]


MUST_FIRE = [
    ("@Zelensky", "Zelensky arrives in Washington"),
    ("@Zelensky", "Zelenskyy arrives in Washington"),
    ("@Zelensky", "Zelenskiy arrives in Washington"),
    ("@Zelensky", "Зеленский прибыл в Вашингтон"),
    ("@Zelensky", "Зеленський прибув до Вашингтона"),
    ("@Zelensky", "Встреча Путина и Зеленского"),  # Russian genitive, by stem
    ('@"Volodymyr Zelensky"', "ZELENSKY SAYS NO"),
    ('@"Volodymyr Zelensky"', "Volodymyr Zelensky speaks"),
    ("@Zelensky", "Zelenskyy's plan for peace"),
    ("@Zelensky", "Zelensky’s plan for peace"),  # curly apostrophe
    ("@Putin", "Putin's offer stands"),
    ("@Putin", "Путин выступил"),
    ("@Kyiv", "Explosions heard in Kiev"),
    ("@Kyiv", "Explosions heard in Kyiv"),
    ("@Kyiv", "Вибухи у Київ"),
    ("@Kyiv", "Kyiv-based analysts say"),
    ("@Maduro", "Nicolas Maduro speaks"),
    ('@"Nicolás Maduro"', "NICOLAS MADURO speaks"),
    ('@"Nicolás Maduro"', "Nicolás Maduro speaks"),
    ("negotiations", "Negotiation resumes"),
    ("negotiations", "Negotiating a truce"),
    ("negotiations", "They negotiated all night"),
    ("negotiation", "Negotiations stall"),
    ("summit", "Summits planned for spring"),
    ("talks", "Leaders talk for hours"),
    ("negotiat*", "Negotiators arrive"),
    ("negotiat*", "negotiate now"),
    ('"peace talks"', "Peace talks resume"),
    ('"peace talks"', "Peace-talks resume"),
    (
        '"peace talks"',
        "Hopes for PEACE  TALKS",
    ),
    ("peace-talks", "Peace talks resume"),
    ("summit AND NOT sport", "Summit on climate"),
    ("summit -sport", "Summit on climate"),
    ("(Putin OR Zelensky) AND (negotiations OR summit)", "Putin proposes summit"),
    ("@Putin summit", "Putin proposes summit"),
    ("title:summit", "Summit called", ""),
    ("summary:summit", "Leaders meet", "A summit is called"),
    ("café", "Cafe owners protest"),
    ("cafe", "Café owners protest"),
    ("@Zelensky AND summit", "Zelensky", "summit in Geneva"),
    ("summit", "Summit.", ""),
    ("summit", "(Summit) in Geneva"),
]


@pytest.mark.parametrize(("query", "title", "summary"), [(*c, "")[:3] for c in MUST_FIRE])
def test_must_fire(query: str, title: str, summary: str) -> None:
    assert fires(query, title, summary), (query, title)


MUST_NOT_FIRE = [
    ("@Putin", "Putinism explained"),
    ("@Putin", "Rasputin, the film"),
    ("@Kyiv", "Kievan Rus history"),
    ("@Zelensky", "Zelenskyland opens"),
    ("summit", "Summitry is an art"),
    ("summit", "Consummate professionals"),
    ("talks", "Stalks of wheat"),
    ("negotiations", "Renegotiate the lease"),
    ("negotiat*", "Renegotiate the lease"),
    ('"peace talks"', "Peace. Talks resume"),
    ('"peace talks"', "Peace; talks resume"),
    ('"peace talks"', "Talks of peace resume"),
    ("summit AND NOT sport", "Sport summit held"),
    ("summit -sport", "Sport summit held"),
    ("title:summit", "Leaders meet", "A summit is called"),
    ("summary:summit", "Summit called", ""),
    ("@Putin AND summit", "Putin speaks", ""),
    ("(Putin OR Zelensky) AND (negotiations OR summit)", "Putin speaks at forum"),
    ("(Putin OR Zelensky) AND (negotiations OR summit)", "Summit without them"),
    ("war", "Warsaw and Kyiv"),
    ("art", "Martial law"),
    ("ai", "Maine is cold"),
    ("cat", "Concatenate strings"),
    ("rates", "Pirates of the coast"),
    ("@Maduro", "Madurodam park"),
    ("oil", "Turmoil in markets"),
    ("gas", "Vegas shows"),
    ("ban", "Urban planning"),
    ("strike", "Strikethrough text"),
    ("vote", "Devoted fans"),
    ("@Kyiv", "Kyivstar network"),
    ("@Zelensky", "Zelenskyyy typo"),
    ("deal", "Idealism returns"),
    (
        "Iran",
        "Iranian film",
    ),
    ("trade", "Tradeoffs everywhere"),
    ("aid", "Afraid of heights"),
    ("@Putin", "Путинизм"),
    ("ceasefire", "Cease fire now"),
    ("summit", "", "no text at all"),
    ('"summit talks"', "Summit, talks"),
    ("summit AND negotiations", "Summit only"),
]


@pytest.mark.parametrize(("query", "title", "summary"), [(*c, "")[:3] for c in MUST_NOT_FIRE])
def test_must_not_fire(query: str, title: str, summary: str) -> None:
    assert not fires(query, title, summary), (query, title)


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ({"feeds": ["TASS"]}, True),
        ({"feeds": ["https://tass.com/rss"]}, True),
        ({"feeds": ["Reuters"]}, False),
        ({"tags": ["russia"]}, True),
        ({"tags": ["sport"]}, False),
        ({"feeds": ["TASS"], "tags": ["sport"]}, False),
    ],
)
def test_rules_scoped_to_feeds_and_tags(scope: dict[str, list[str]], expected: bool) -> None:
    assert fires("summit", "Summit called", **scope) is expected


def test_seed_story_matches_the_seed_rule_naming_its_terms() -> None:
    if not SEED.exists():
        pytest.skip(f"seed story not available: {SEED}")
    config = config_module.load(REPO / "config.example.toml")
    matcher = compile_rules(config.rules, config.entities)
    lines = [line for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    # The page chrome line comes first: real text is noisy, the title is the third line.
    title, summary = lines[2], " ".join(lines[3:])
    matches = matcher.match(title, summary)
    assert [m.rule for m in matches] == ["peace-talks"]
    terms = matches[0].terms
    assert "Putin" in terms and '@"Volodymyr Zelensky"' in terms
    assert {"negotiations", "summit"} & set(terms)
    explained = format_match(matches[0])
    assert "Zelensky" in explained and "peace-talks" in explained
    data = match_to_json(matches[0])
    assert data["rule"] == "peace-talks" and data["hits"][0]["field"] == "title"
    first = matches[0].hits[0]
    assert title[first.start : first.end] == first.text


def test_hit_offsets_point_into_the_original_text() -> None:
    title = "Straße talks: Ⅻ Zelenskyy’s summit in Genève"
    matcher = compile_rules([RuleConfig(name="r", query="@Zelensky summit Geneve")], ENTITIES)
    (match,) = matcher.match(title, "")
    for hit in match.hits:
        assert title[hit.start : hit.end] == hit.text
    assert {h.text for h in match.hits} == {"Zelenskyy", "summit", "Genève"}


@pytest.mark.parametrize(
    ("query", "position", "message"),
    [
        ("(summit OR talks", 0, "never closed"),
        ("summit AND", 10, "ends where a term was expected"),
        ('summit "peace talks', 7, "never closed"),
        ("head:summit", 0, "unknown field"),
        ("summit )", 7, "closing parenthesis"),
        ("ne*", 0, "at least 3 letters"),
        ("@ Putin", 0, "must be followed by an entity"),
        ("OR summit", 0, "needs a term"),
        ("summit $", 7, "unexpected character"),
    ],
)
def test_bad_queries_point_at_the_position(query: str, position: int, message: str) -> None:
    with pytest.raises(RuleError) as info:
        compile_rules([RuleConfig(name="r", query=query)], ENTITIES)
    assert info.value.position == position and message in info.value.message


def test_validate_rules_lists_every_problem() -> None:
    rules = [
        RuleConfig(name="a", query="(summit"),
        RuleConfig(name="a", query='@"Nobody Known" AND summit'),
        RuleConfig(name="c", query="NOT sport"),
    ]
    problems = validate_rules(rules, ENTITIES)
    assert "rules[0].query: this parenthesis is never closed at position 0" in problems
    assert "rules[1].name: 'a' is already rules[0]" in problems
    assert any(p.startswith("rules[1].query: no entity named 'Nobody Known'") for p in problems)
    assert any(p.startswith("rules[2].query: it would match items") for p in problems)


def test_check_config_reports_a_bad_query_with_its_position() -> None:
    text = '[[rules]]\nname = "x"\nquery = "summit AND (talks"\n'
    with pytest.raises(ConfigError) as info:
        config_module.loads(text)
    assert "rules[0].query: this parenthesis is never closed at position 11" in info.value.problems


def test_cli_test_rules_text_and_file(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from monitor.cli import main

    example = str(REPO / "config.example.toml")
    text = "Zelenskyy ready for summit with Putin\nTalks could start next week."
    assert main(["test-rules", "-c", example, "--text", text, "--json"]) == 0
    (match,) = json.loads(capsys.readouterr().out)["matches"]
    assert match["rule"] == "peace-talks"
    assert set(match["terms"]) >= {"Putin", "summit", '@"Volodymyr Zelensky"'}
    if SEED.exists():
        assert main(["test-rules", "-c", example, "--file", str(SEED)]) == 0
        out = capsys.readouterr().out
        assert "peace-talks [high]" in out and "Zelensky" in out
    assert main(["test-rules", "-c", example, "--text", "Weather is fine"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["test-rules", "-c", example, "--since", "soon"]) == 2
