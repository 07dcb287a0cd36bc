"""check-config lists every problem of every rule in one pass: a rule's bad severity, unknown
key or empty query hides neither its query's problem nor a duplicate name; and a spelling
given to two entities (which ``@`` that spelling would silently resolve to the first of) is
an error naming both. ``monitor run`` refuses the same file with the same lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main

HEAD = """
[[feeds]]
url = "https://a.example/rss"
[channels.desk]
type = "console"
"""

# (the case, the tables after HEAD, every line check-config must print, in its order)
CASES = [
    (
        "a bad severity hides no query problem",
        '[[rules]]\nname = "a"\nquery = \'"peace talks\'\nchannels = ["desk"]\n'
        'severity = "critical"\n',
        ["rules[0] \"a\".severity: Input should be 'low', 'normal', 'high' or 'urgent'",
         'rules[0] "a".query: this quote is never closed at position 0'],
    ),
    (
        "an unknown key hides no query problem",
        '[[rules]]\nname = "m"\nquery = \'"peace talks\'\nchanels = ["desk"]\n',
        ['rules[0] "m".chanels: unknown key (check its spelling)',
         'rules[0] "m".query: this quote is never closed at position 0'],
    ),
    (
        "an empty query hides no duplicate name",
        '[[rules]]\nname = "e"\nquery = "summit"\nchannels = ["desk"]\n'
        '[[rules]]\nname = "e"\nquery = ""\nchannels = ["desk"]\n',
        ['rules[1] "e".query: String should have at least 1 character',
         "rules[1] \"e\".name: duplicate rule name 'e' (also rules[0])"],
    ),
    (
        "a rule without a name still has its query checked",
        '[[rules]]\nquery = "summit AND"\nchannels = ["desk"]\n',
        ["rules[0].name: required key is missing",
         "rules[0].query: the query ends where a term was expected at position 10"],
    ),
]  # fmt: skip

# An alias of two entities, used by a rule: ``@`` it could mean either.
CASES += [
    (
        "a rule's @ of an alias two entities have, compared folded",
        '[[entities]]\nname = "Kyiv"\naliases = ["Kiev"]\n'
        '[[entities]]\nname = "Kyiv Oblast"\naliases = ["KIEV"]\n'
        '[[rules]]\nname = "k"\nquery = "talks AND @kiev"\nchannels = ["desk"]\n',
        ['rules[0] "k".query: @kiev is an alias of entities[0] "Kyiv" and entities[1]'
         ' "Kyiv Oblast": name the one meant by its name at position 10'],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("case", "tables", "lines"), CASES, ids=[c[0] for c in CASES])
def test_check_config_lists_every_problem_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, tables: str, lines: list[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(HEAD + tables, encoding="utf-8")
    assert main(["check-config", "-c", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    count = f"{len(lines)} problem{'s' if len(lines) != 1 else ''}"
    assert err == [f"monitor: config: {path}: {count}", *(f"  {line}" for line in lines)]


def test_run_refuses_the_file_with_the_same_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(HEAD + CASES[0][1] + CASES[2][1], encoding="utf-8")
    assert main(["check-config", "-c", str(path)]) == 2
    checked = capsys.readouterr().err
    assert main(["run", "-c", str(path)]) == 2
    assert capsys.readouterr().err == checked
    assert "4 problems" in checked


OK = [
    ("an alias that is the entity's own name", '[[entities]]\nname = "Kyiv"\naliases = ["KYIV"]\n'),
    ("entities apart", '[[entities]]\nname = "Kyiv"\n[[entities]]\nname = "Kyiv Oblast"\n'),
    # Each entity's own spellings match the text; no rule says @Kiev.
    (
        "an alias of two entities that no rule names",
        '[[entities]]\nname = "Kyiv"\naliases = ["Kiev"]\n'
        '[[entities]]\nname = "Kyiv Oblast"\naliases = ["KIEV"]\n'
        '[[rules]]\nname = "k"\nquery = "@Kyiv"\nchannels = ["desk"]\n',
    ),
]  # fmt: skip


@pytest.mark.parametrize(("case", "tables"), OK, ids=[c[0] for c in OK])
def test_spellings_of_one_entity_are_no_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, tables: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(HEAD + tables, encoding="utf-8")
    assert main(["check-config", "-c", str(path)]) == 0


def test_an_entitys_name_means_it_where_another_has_it_as_an_alias(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``@Putin`` is the entity named Putin, not "Vladimir Putin" whose alias it is: it
    fires on that entity's own alias (explore11: it silently meant the other entity)."""
    path = tmp_path / "config.toml"
    path.write_text(
        HEAD + '[[entities]]\nname = "Vladimir Putin"\naliases = ["Putin"]\n'
        '[[entities]]\nname = "Putin"\naliases = ["Путин"]\n'
        '[[rules]]\nname = "p"\nquery = "@Putin"\nchannels = ["desk"]\n',
        encoding="utf-8",
    )
    assert main(["check-config", "-c", str(path)]) == 0
    capsys.readouterr()
    assert main(["test-rules", "-c", str(path), "--text", "Путин at summit"]) == 0
    assert "p [normal]: @Putin = 'Путин'" in capsys.readouterr().out
