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

# A spelling of two entities: ``@`` it would silently mean the first one.
CASES += [
    (
        "an entity's name is another's alias",
        '[[entities]]\nname = "Vladimir Putin"\naliases = ["Putin"]\n'
        '[[entities]]\nname = "Putin"\naliases = ["Путин"]\n',
        ["entities[1] \"Putin\".name: 'Putin' is also a spelling of entities[0] \"Vladimir"
         ' Putin": @Putin would mean that entity only (give each spelling to one entity)'],
    ),
    (
        "an alias of two entities, compared folded",
        '[[entities]]\nname = "Kyiv"\naliases = ["Kiev"]\n'
        '[[entities]]\nname = "Kyiv Oblast"\naliases = ["KIEV"]\n',
        ["entities[1] \"Kyiv Oblast\".aliases[0]: 'KIEV' is also a spelling of entities[0]"
         ' "Kyiv": @KIEV would mean that entity only (give each spelling to one entity)'],
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
]  # fmt: skip


@pytest.mark.parametrize(("case", "tables"), OK, ids=[c[0] for c in OK])
def test_spellings_of_one_entity_are_no_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, tables: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(HEAD + tables, encoding="utf-8")
    assert main(["check-config", "-c", str(path)]) == 0
