"""The command line contract: help for every command, exit codes, one-sentence errors."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.cli import build_parser, main
from monitor.store import Store


def _commands() -> dict[str, object]:
    parser = build_parser()
    for action in parser._actions:
        if hasattr(action, "choices") and isinstance(action.choices, dict):
            return dict(action.choices)
    raise AssertionError("no subcommands")


def test_every_command_has_help_text() -> None:
    for name, sub in _commands().items():
        assert sub.description, f"monitor {name} has no description"  # type: ignore[attr-defined]
        helps = [a.help for a in sub._actions]  # type: ignore[attr-defined]
        assert all(helps), f"monitor {name} has an option without help"


def test_every_command_takes_config_option() -> None:
    for name, sub in _commands().items():
        options = {o for a in sub._actions for o in a.option_strings}  # type: ignore[attr-defined]
        assert {"-c", "--config"} <= options, name


def test_python_dash_m_and_bad_usage_exit_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "no-such-command"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.startswith("monitor: ")


@pytest.mark.parametrize("typed", ["no-such-command", "opml", "check_config", "copy_store"])
def test_a_name_that_is_no_command_is_told_with_every_command(
    typed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A module's own name ("opml", "check_config") is no command: the error lists them all,
    as for any other typo, not only the commands of that module."""
    with pytest.raises(SystemExit) as exited:
        main([typed])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert f"invalid choice: '{typed}'" in error
    assert all(f"'{name}'" in error for name in _commands()), error


async def _create_database(path: Path) -> None:
    store = await Store.open(path)
    await store.close()


def test_status_json_names_feeds_by_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    path = tmp_path / "config.toml"
    path.write_text('[[feeds]]\nurl = "http://127.0.0.1:9/rss"\nname = "Nowhere"\n')
    asyncio.run(_create_database(tmp_path / "monitor.db"))
    assert main(["status", "--json", "-c", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["feeds"][0]["url"] == "http://127.0.0.1:9/rss"
    assert report["feeds"][0]["last_success"] is None
    assert main(["status", "-c", str(path)]) == 0
    assert "Nowhere" in capsys.readouterr().out


def test_opml_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[[feeds]]\nurl = "https://a.example/rss"\nname = "A"\n')
    opml = tmp_path / "feeds.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>x</title></head><body>'
        '<outline text="World"><outline text="B &amp; Co" xmlUrl="https://b.example/rss"/>'
        '<outline text="A again" xmlUrl="https://a.example/rss"/></outline></body></opml>'
    )
    assert main(["import-opml", str(opml), "-c", str(path)]) == 0
    text = path.read_text()
    assert 'url = "https://b.example/rss"' in text and 'name = "B & Co"' in text
    assert 'tags = ["world"]' in text and text.count("https://a.example/rss") == 1
    capsys.readouterr()
    assert main(["export-opml", "-c", str(path)]) == 0
    out = capsys.readouterr().out
    assert 'xmlUrl="https://b.example/rss"' in out and 'xmlUrl="https://a.example/rss"' in out


def test_opml_entity_bomb_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.toml"
    path.write_text("")
    opml = tmp_path / "bomb.opml"
    opml.write_text('<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa">]><opml><body/></opml>')
    assert main(["import-opml", str(opml), "-c", str(path)]) == 2
    assert "forbidden XML" in capsys.readouterr().err
    assert path.read_text() == ""


def test_output_into_a_closed_pipe_ends_without_a_traceback(tmp_path: Path) -> None:
    # `monitor stories | head` closes the pipe before the output ends: Python's own
    # BrokenPipeError traceback came out, twice (the flush at exit fails again).
    config = tmp_path / "config.toml"
    config.write_text('[[feeds]]\nurl = "http://127.0.0.1:9/rss"\n', encoding="utf-8")
    read, write = os.pipe()
    os.close(read)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "monitor", "check-config", "-c", str(config)],
            stdout=write, stderr=subprocess.PIPE, text=True, timeout=60,
        )  # fmt: skip
    finally:
        os.close(write)
    assert "Traceback" not in result.stderr and result.stderr == ""
    assert result.returncode == 1


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "o0"),
        (8, "o0, o1, o2, o3, o4, o5, o6, o7"),
        (11, "o0, o1, o2, o3, o4, o5, o6, o7, +3"),
    ],
)
def test_stories_and_events_name_eight_outlets_then_how_many_more(
    count: int, expected: str
) -> None:
    from monitor.cli.common import outlets_text

    assert outlets_text([f"o{i}" for i in range(count)]) == expected
