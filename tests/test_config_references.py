"""check-config finds what is valid on its own but cannot work: a rule scoped to a tag no feed
has (an error), to a feed nothing here names or a rule alerting nowhere (warnings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main

FEEDS = """
[[feeds]]
url = "https://a.example/rss"
name = "Agency"
tags = ["World", "politics"]

[[feeds]]
url = "https://b.example/rss"
tags = ["sport"]

[channels.desk]
type = "console"
"""


def rule(scope: str) -> str:
    return f'[[rules]]\nname = "summit"\nquery = "summit"\n{scope}\n'


ERRORS = [
    (
        'channels = ["desk"]\ntags = ["nosuchtag"]',
        "rules[0] \"summit\".tags[0]: no feed has the tag 'nosuchtag'"
        " (the feeds' tags: World, politics, sport)",
    ),
]


@pytest.mark.parametrize(("scope", "line"), ERRORS)
def test_a_rule_that_can_never_fire_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], scope: str, line: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(FEEDS + rule(scope))
    assert main(["check-config", "-c", str(path)]) == 2
    assert line in capsys.readouterr().err


WARNINGS = [
    ('channels = ["desk"]\ntags = ["world"]', None),  # tags compare case folded
    ('channels = ["desk"]\nfeeds = ["agency", "https://b.example/rss/"]', None),
    (
        'channels = ["desk"]\nfeeds = ["NoSuchFeed"]',
        "warning: rules[0] \"summit\".feeds[0]: no feed here is named 'NoSuchFeed'",
    ),
    ("channels = []", 'warning: rules[0] "summit".channels: none: the rule\'s matches alert'),
]


@pytest.mark.parametrize(("scope", "line"), WARNINGS)
def test_a_doubtful_rule_is_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], scope: str, line: str | None
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(FEEDS + rule(scope))
    assert main(["check-config", "-c", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "ok (2 feeds, 1 rule" in out
    if line is None:
        assert err == ""
    else:
        assert line in err and len(err.splitlines()) == 1
