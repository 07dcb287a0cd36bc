"""The config file: the example is valid and documents every key; mistakes are all listed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from monitor import config as config_module
from monitor.channels import config as channel_config
from monitor.config import Config
from monitor.configtypes import parse_duration
from monitor.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "config.example.toml"


def _keys(model: type[BaseModel]) -> set[str]:
    keys = set()
    for name, field in model.model_fields.items():
        if field.exclude:
            continue
        keys.add(name)
        for arg in _model_args(field.annotation):
            keys |= _keys(arg)
    return keys


def _model_args(annotation: object) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    out = []
    for arg in getattr(annotation, "__args__", ()):
        out += _model_args(arg)
    for meta in getattr(annotation, "__metadata__", ()):
        del meta
    return out


def test_example_config_is_valid() -> None:
    config = config_module.load(EXAMPLE)
    assert len(config.feeds) >= 10
    assert all(f.url.startswith(("http://", "https://")) for f in config.feeds)
    assert any(c.type == "console" for c in config.channels.values())


def test_every_schema_key_is_documented_in_the_example() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    documented = set(re.findall(r"^[#\s]*([a-z_]+)\s*=", text, re.M))
    documented |= set(re.findall(r"\{\s*([a-z_]+)\s*=", text))
    documented |= set(re.findall(r",\s*([a-z_]+)\s*=", text))
    documented |= set(re.findall(r"^\[([a-z_]+)\]", text, re.M))  # a section, written out
    keys = _keys(Config)
    for model in (
        channel_config.ConsoleChannelConfig,
        channel_config.TelegramChannelConfig,
        channel_config.EmailChannelConfig,
        channel_config.WebhookChannelConfig,
    ):
        keys |= _keys(model)
    sections = {"monitor", "fetch", "feeds", "dedup", "entities", "rules", "channels"}
    missing = sorted(keys - documented - sections)
    assert not missing, f"keys missing from config.example.toml: {missing}"


def test_three_different_mistakes_are_all_named_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        """
[monitor]
intervall = "10m"
[[feeds]]
url = "https://example.org/rss"
interval = "ten minutes"
[channels.desk]
type = "telegram"
chat_id = "1"
bot_token = "${MONITOR_TEST_UNSET_TOKEN}"
""",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "check-config", "-c", str(path)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 2
    err = result.stderr
    assert "3 problems" in err
    assert "monitor.intervall: unknown key" in err
    assert 'feeds[0] "https://example.org/rss".interval' in err and "ten minutes" in err
    assert (
        "channels.desk.bot_token: environment variable MONITOR_TEST_UNSET_TOKEN is not set" in err
    )
    assert result.stdout == ""


def test_check_config_ok_exit_0() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "check-config", "-c", str(EXAMPLE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    # What the example holds, counted as a person would say it ("1 rule", not "1 rules").
    assert "ok (" in result.stdout and " 1 rule," in result.stdout


def test_missing_file_is_one_clear_sentence(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "check-config", "-c", str(tmp_path / "nope.toml")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "no such file" in result.stderr and "Traceback" not in result.stderr


def test_environment_values_are_read_and_secrets_not_shown() -> None:
    text = """
[channels.desk]
type = "telegram"
chat_id = "1"
bot_token = "${TOKEN}"
"""
    config = config_module.loads(text, environ={"TOKEN": "123:SECRET-abc"})
    channel = config.channels["desk"]
    assert channel.bot_token.get_secret_value() == "123:SECRET-abc"  # type: ignore[union-attr]
    assert "SECRET" not in repr(config) and "SECRET" not in str(config)


def test_bad_toml_names_the_line() -> None:
    with pytest.raises(ConfigError, match="line 2"):
        config_module.loads("[monitor]\ninterval = \n")


def test_database_is_relative_to_the_config_folder(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.toml"
    path.parent.mkdir()
    path.write_text('[monitor]\ndatabase = "data/m.db"\n')
    assert config_module.load(path).database_path == tmp_path / "sub" / "data" / "m.db"


def test_monitor_config_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "elsewhere.toml"
    path.write_text("")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MONITOR_CONFIG", str(path))
    assert config_module.resolve_path(None) == path


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("10m", 600), ("72h", 259200), ("7d", 604800), ("1.5h", 5400), (30, 30)],
)
def test_durations(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["ten minutes", "10", "-5s", "5 parsecs", True, -1])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://example.com:99999/rss", "Port out of range"),
        ("http://[::1/rss", "Invalid IPv6 URL"),
        ("http://a@/rss", "host is required"),
    ],
)
def test_a_feed_url_the_fetcher_cannot_read_is_a_config_error(url: str, why: str) -> None:
    # These passed the http(s) check and every poll of the feed ended as "internal error
    # (ValueError ...)" with a traceback.
    with pytest.raises(ConfigError, match=r"feeds\[0\]\.url: not a valid URL") as caught:
        config_module.loads(f'[[feeds]]\nurl = "{url}"\n')
    assert why in str(caught.value)


ENCODINGS = [
    # A file saved "UTF-8 with BOM" (Notepad) is UTF-8.
    ('\ufeff[monitor]\ninterval = "5m"\n'.encode(), None),
    # Saved as Latin-1: the name's "é" is the one byte 0xe9.
    (
        '[monitor]\ninterval = "5m"\n\n[[feeds]]\nname = "Défense"\n'.encode("latin-1"),
        "line 5, column 10: byte 0xe9 is not UTF-8 (save the file as UTF-8)",
    ),
    # The column counts characters, as an editor shows them: "é" is one, in two bytes.
    ('# Ω\nname = "é'.encode() + b'\xff"\n', "line 2, column 10: byte 0xff is not UTF-8"),
]


@pytest.mark.parametrize(("data", "error"), ENCODINGS)
def test_a_file_s_encoding_is_read_or_the_bad_byte_named(
    tmp_path: Path, data: bytes, error: str | None
) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(data)
    if error is None:
        assert config_module.load(path).monitor.interval == 300
        return
    with pytest.raises(ConfigError) as caught:
        config_module.load(path)
    assert f"{path}: {error}" in str(caught.value)
