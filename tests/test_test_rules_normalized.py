"""`monitor test-rules --text` reads the text as the daemon reads an item (NFC, invisible
characters dropped): a decomposed Ö or a soft hyphen inside an acronym written with capitals
made test-rules say 0 matches where the daemon alerts (review16c; fails before)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main


@pytest.mark.parametrize("text", ["O\u0308VP gewinnt die Wahl", "C\u00adDU gewinnt die Wahl"])
def test_test_rules_agrees_with_the_daemon(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[monitor]\ndatabase = "{tmp_path / "m.db"}"\n'
        '[[feeds]]\nurl = "http://127.0.0.1:9/rss"\n'
        '[[entities]]\nname = "ÖVP"\n[[entities]]\nname = "CDU"\n'
        '[[rules]]\nname = "party"\nquery = "@ÖVP OR @CDU"\n'
    )
    assert main(["test-rules", "--text", text, "-c", str(config)]) == 0
    out, err = capsys.readouterr()
    assert "party" in out, (out, err)
