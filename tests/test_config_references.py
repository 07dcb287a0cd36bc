"""check-config finds what is valid on its own but cannot work: a rule scoped to a tag no feed
has (an error), to a feed nothing here names or a rule alerting nowhere (warnings), and a
database whose folder is a typo (the store then refuses rather than start empty); two feeds
of one name (a warning)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.errors import StoreError
from monitor.store import Store

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


def test_two_feeds_of_one_name_are_flagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A rule's ``feeds = ["Agency"]`` would take both: check-config says so."""
    path = tmp_path / "config.toml"
    second = '[[feeds]]\nurl = "https://c.example/rss"\nname = "agency"\n'
    path.write_text(FEEDS + second + rule('channels = ["desk"]'))
    assert main(["check-config", "-c", str(path)]) == 0
    err = capsys.readouterr().err
    assert "warning: feeds[2].name: 'agency' is also the name of feeds[0]" in err, err


def test_a_database_folder_that_is_a_typo_is_said_and_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    database = tmp_path / "nonexistent" / "dir" / "m.db"
    path.write_text(f'[monitor]\ndatabase = "{database}"\n')
    assert main(["check-config", "-c", str(path)]) == 0
    assert f"the folder {tmp_path / 'nonexistent'} does not exist" in capsys.readouterr().err
    with pytest.raises(StoreError, match="does not exist"):
        asyncio.run(Store.open(database))
    assert not (tmp_path / "nonexistent").exists()


def test_a_new_database_folder_one_level_deep_is_made(tmp_path: Path) -> None:
    # A fresh machine: the default path, or a folder of its own beside the config.
    database = tmp_path / "state" / "m.db"

    async def open_and_close() -> None:
        await (await Store.open(database)).close()

    asyncio.run(open_and_close())
    assert database.exists()
