"""``monitor replay`` given a bad SOURCE or bad numbers: one line that names the replay (not
the config, which is fine), exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main

TABLE = [
    ("missing source", ["{tmp}/nope"], "monitor: replay: the source {tmp}/nope: no such file"),
    ("negative speed", ["{tmp}", "--speed", "-1"], "monitor: replay: --speed must be 0 or more"),
]


@pytest.mark.parametrize(("case", "argv", "line"), TABLE, ids=[row[0] for row in TABLE])
def test_a_bad_replay_argument_names_the_replay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, argv: list[str], line: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert main(["replay", "-c", str(config), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(line.format(tmp=tmp_path)), err
    assert "config" not in err and len(err.splitlines()) == 1, err
