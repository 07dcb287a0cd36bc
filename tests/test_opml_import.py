"""import-opml: an outline that cannot be a feed is skipped with one line naming it, the rest
imported, and the dry run says exactly what the real import does; bad input exits 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import config as config_module
from monitor.cli import main

OPML = (
    '<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>'
    '<outline text="Good" xmlUrl="https://good.example/rss"/>'
    '<outline text="Evil" xmlUrl="javascript:alert(1)"/>'
    '<outline text="Relative" xmlUrl="feeds/local.xml"/>'
    "</body></opml>"
)


@pytest.mark.parametrize("dry_run", [True, False], ids=["dry run", "import"])
def test_invalid_outlines_are_skipped_by_name_in_both_modes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dry_run: bool
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[[feeds]]\nurl = "https://a.example/rss"\n', encoding="utf-8")
    opml = tmp_path / "in.opml"
    opml.write_text(OPML, encoding="utf-8")
    code = main(["import-opml", str(opml), "-c", str(config), *(["--dry-run"] * dry_run)])
    out, err = capsys.readouterr()
    assert code == 2, err
    skipped = [line for line in err.splitlines() if line.startswith("skipped")]
    assert len(skipped) == 2, err
    assert "'Evil' (javascript:alert(1))" in skipped[0] and "http" in skipped[0]
    assert "'Relative' (feeds/local.xml)" in skipped[1]
    assert "monitor: monitor:" not in err
    assert "2 skipped" in err
    added = out if dry_run else config.read_text(encoding="utf-8")
    assert "https://good.example/rss" in added
    assert "javascript:" not in added and "local.xml" not in added
    # The config stays valid, with the good feed in it after a real import.
    urls = [f.url for f in config_module.load(config).feeds]
    assert urls == ["https://a.example/rss"] + ([] if dry_run else ["https://good.example/rss"])


def test_an_import_of_only_valid_outlines_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    opml = tmp_path / "in.opml"
    opml.write_text(OPML.replace("javascript:alert(1)", "https://b.example/").replace(
        "feeds/local.xml", "https://c.example/"), encoding="utf-8")  # fmt: skip
    assert main(["import-opml", str(opml), "-c", str(config)]) == 0
    assert "added 3 of 3 feeds" in capsys.readouterr().err
