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


def import_opml(tmp_path: Path, config_text: str, opml_text: str) -> tuple[int, str]:
    config = tmp_path / "config.toml"
    config.write_text(config_text, encoding="utf-8")
    opml = tmp_path / "in.opml"
    opml.write_text(opml_text, encoding="utf-8")
    return main(["import-opml", str(opml), "-c", str(config)]), str(config)


def test_tags_survive_an_export_and_import_round_trip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Export writes tags as category="a,b": import reads them back, so a rule scoped to a
    tag still finds its feeds in the imported config."""
    source = tmp_path / "source.toml"
    source.write_text(
        '[[feeds]]\nurl = "https://a.example/rss"\nname = "A"\ntags = ["world", "us politics"]\n'
        '[[rules]]\nname = "r"\nquery = "x"\ntags = ["us politics"]\n',
        encoding="utf-8",
    )
    assert main(["export-opml", "-c", str(source)]) == 0
    exported = capsys.readouterr().out
    (tmp_path / "fresh").mkdir()
    code, path = import_opml(tmp_path / "fresh", "", exported)
    assert code == 0, capsys.readouterr().err
    (feed,) = config_module.load(Path(path)).feeds
    assert (feed.url, feed.name, feed.tags) == (
        "https://a.example/rss",
        "A",
        ["world", "us politics"],
    )


# Outlines of one feed seen twice, and what the imported [[feeds]] table keeps of them.
TWICE = [
    (   # in two folders: both folders' tags, the first outline's name
        '<outline text="World &amp; Politics"><outline text="In world" xmlUrl="https://d.example/rss"/>'
        '</outline><outline text="Tech"><outline text="In tech" xmlUrl="https://d.example/rss"/>'
        "</outline>",
        "In world", ["world-&-politics", "tech"],
    ),
    (   # a folder and a category, the second URL in another form of the same address
        '<outline text="News"><outline text="D" category="world" xmlUrl="https://d.example/rss"/>'
        '</outline><outline text="D again" category="sport,world" xmlUrl="HTTPS://D.example/rss/"/>',
        "D", ["news", "world", "sport"],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("outlines", "name", "tags"), TWICE, ids=["two folders", "two forms"])
def test_a_feed_listed_twice_keeps_its_first_name_and_every_tag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], outlines: str, name: str, tags: list[str]
) -> None:
    opml = f'<?xml version="1.0"?><opml version="2.0"><body>{outlines}</body></opml>'
    code, path = import_opml(tmp_path, "", opml)
    assert code == 0, capsys.readouterr().err
    (feed,) = config_module.load(Path(path)).feeds
    assert (feed.name, feed.tags) == (name, tags)


def test_a_configured_feed_in_another_form_is_skipped_and_the_rest_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    opml = (
        '<?xml version="1.0"?><opml version="2.0"><body>'
        '<outline text="Old" xmlUrl="HTTP://A.example/feed/o00.xml"/>'
        '<outline text="New 1" xmlUrl="https://n1.example/rss"/>'
        '<outline text="New 2" xmlUrl="https://n2.example/rss"/></body></opml>'
    )
    code, path = import_opml(tmp_path, '[[feeds]]\nurl = "http://a.example/feed/o00.xml"\n', opml)
    err = capsys.readouterr().err
    assert code == 0, err
    urls = [f.url for f in config_module.load(Path(path)).feeds]
    assert urls == [
        "http://a.example/feed/o00.xml", "https://n1.example/rss", "https://n2.example/rss"
    ]  # fmt: skip
    (line,) = [line for line in err.splitlines() if line.startswith("skipped")]
    assert "HTTP://A.example/feed/o00.xml" in line and "http://a.example/feed/o00.xml" in line
    assert "added 2 of 3 feeds" in err and "1 already configured" in err


def test_a_name_taken_by_another_feed_is_made_distinct(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two feeds of one name would make a rule's ``feeds = ["Reuters"]`` take both."""
    opml = (
        '<opml version="2.0"><body>'
        '<outline text="Reuters" xmlUrl="https://b.example/rss"/>'
        '<outline text="reuters" xmlUrl="https://c.example/rss"/>'
        "</body></opml>"
    )
    configured = '[[feeds]]\nurl = "https://a.example/rss"\nname = "Reuters"\n'
    code, path = import_opml(tmp_path, configured, opml)
    assert code == 0
    names = [f.name for f in config_module.load(Path(path)).feeds]
    assert names == ["Reuters", "Reuters (2)", "reuters (3)"]
    assert "'Reuters (2)': another feed is named 'Reuters'" in capsys.readouterr().err
