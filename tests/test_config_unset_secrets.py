"""Commands that send nothing run without the channels' secrets in the environment (the
README's systemd recipe keeps them only in the unit's EnvironmentFile); commands that send
still refuse, with one clear line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.store import Store

SECRET_VARS = ("NOPE_TOKEN", "NOPE_HOOK", "NOPE_PASSWORD")
CONFIG = """
[[feeds]]
url = "http://127.0.0.1:9/rss"
name = "Nowhere"
tags = ["world"]

[[rules]]
name = "summit"
query = "summit"
channels = ["desk", "hook", "mail"]

[channels.desk]
type = "telegram"
bot_token = "${NOPE_TOKEN}"
chat_id = "42"

[channels.hook]
type = "webhook"
url = "${NOPE_HOOK}"

[channels.mail]
type = "email"
host = "127.0.0.1"
sender = "m@example.org"
recipients = ["desk@example.org"]
username = "m"
password = "${NOPE_PASSWORD}"
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in SECRET_VARS:
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)

    async def create() -> None:
        await (await Store.open(tmp_path / "monitor.db")).close()

    asyncio.run(create())
    return path


READ_ONLY = [
    ["status"],
    ["status", "--json"],
    ["stories"],
    ["events"],
    ["test-rules", "--text", "Leaders meet at a summit"],
    ["dedup-check", "Leaders meet at summit", "Leaders meet at a summit"],
    ["export-opml"],
]


@pytest.mark.parametrize("command", READ_ONLY, ids=lambda c: " ".join(c[:2]))
def test_a_command_that_sends_nothing_runs_without_the_secrets(
    config: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, "-c", str(config)]) == 0
    out, err = capsys.readouterr()
    assert "NOPE_" not in err and "is not set" not in err
    assert "unset.invalid" not in out + err


SENDING = [["once"], ["test-alert"], ["check-config"]]


@pytest.mark.parametrize("command", SENDING, ids=lambda c: c[0])
def test_a_command_that_sends_still_names_the_unset_variable(
    config: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert "channels.desk.bot_token: environment variable NOPE_TOKEN is not set" in err
    assert "channels.hook.url: environment variable NOPE_HOOK is not set" in err


def test_other_problems_are_still_found_without_the_secrets(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config.write_text(CONFIG.replace('chat_id = "42"', 'chat_id = "42"\nchatid = 1'))
    assert main(["status", "-c", str(config)]) == 2
    assert "channels.desk.chatid: unknown key" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("port", '"${NOPE_PORT}"'),
        ("timeout", '"${NOPE_TIMEOUT}"'),
        ("retry_max", '"${NOPE_RETRY}"'),
    ],
)
def test_a_number_left_unset_is_named_with_its_variable(
    config: Path, capsys: pytest.CaptureFixture[str], key: str, value: str
) -> None:
    """Not a secret: a read-only command needs it too, and says which key and variable."""
    config.write_text(CONFIG.replace('host = "127.0.0.1"', f'host = "127.0.0.1"\n{key} = {value}'))
    variable = value.strip('"${}')
    assert main(["status", "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"channels.mail.{key}: environment variable {variable} is not set" in err, err
    assert "unset.invalid" not in err and "valid integer" not in err, err


def test_import_opml_runs_without_the_secrets_and_keeps_their_references(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    opml = config.parent / "in.opml"
    opml.write_text(
        '<opml version="2.0"><body><outline type="rss" text="B"'
        ' xmlUrl="http://127.0.0.1:9/b.xml"/></body></opml>'
    )
    assert main(["import-opml", str(opml), "-c", str(config)]) == 0, capsys.readouterr().err
    assert "added 1 of 1 feed" in capsys.readouterr().err
    text = config.read_text()
    assert 'url = "http://127.0.0.1:9/b.xml"' in text
    assert "${NOPE_TOKEN}" in text and "unset.invalid" not in text
