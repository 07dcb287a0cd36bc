"""``monitor test-alert``: a test message through each channel, the outcome of each."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest
from standins import BOT_TOKEN, CHAT_ID, smtp_standin, telegram_standin, tg_error

from monitor.cli import main


def write(tmp_path: Path, channels: str) -> str:
    path = tmp_path / "config.toml"
    path.write_text(f'[monitor]\ndatabase = "{tmp_path}/m.db"\n{channels}', encoding="utf-8")
    return str(path)


async def test_each_channel_gets_a_test_message_and_failures_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", BOT_TOKEN)
    async with telegram_standin() as tg, smtp_standin() as smtp:
        config = write(
            tmp_path,
            f"""
[channels.desk]
type = "telegram"
bot_token = "${{TELEGRAM_BOT_TOKEN}}"
chat_id = "{CHAT_ID}"
api_base = "{tg.url}"

[channels.wrongchat]
type = "telegram"
bot_token = "${{TELEGRAM_BOT_TOKEN}}"
chat_id = "-100"
api_base = "{tg.url}"

[channels.mail]
type = "email"
host = "127.0.0.1"
port = {smtp.port}
security = "none"
sender = "alerts@example.org"
recipients = ["desk@example.org"]

[channels.screen]
type = "console"
""",
        )
        code = await asyncio.to_thread(main, ["test-alert", "-c", config])
        out = capsys.readouterr().out
        assert code == 1
        assert "desk: ok" in out and "mail: ok" in out and "screen: ok" in out
        assert "wrongchat: FAILED: " in out and "chat not found" in out
        assert BOT_TOKEN not in out
        assert len(tg.sent) == 1 and "Test alert" in tg.sent[0]["text"]
        assert len(smtp.received) == 1

        code = await asyncio.to_thread(main, ["test-alert", "-c", config, "--channel", "desk"])
        assert code == 0 and len(tg.sent) == 2 and len(smtp.received) == 1
        assert capsys.readouterr().out.count(": ok") == 1


def test_unknown_channel_is_bad_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path, '[channels.screen]\ntype = "console"\n')
    assert main(["test-alert", "-c", config, "--channel", "nope"]) == 2
    assert "no channel named 'nope'" in capsys.readouterr().err


async def test_a_channel_error_is_printed_without_its_control_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The service's own words are quoted in the outcome: an ESC in them must not reach the
    # terminal of the person checking a channel.
    async with telegram_standin() as tg:
        tg.script.append(tg_error(400, "Bad Request: \x1b]0;owned\x07chat \x1b[2Jnot found"))
        config = write(
            tmp_path,
            f'[channels.desk]\ntype = "telegram"\nbot_token = "{BOT_TOKEN}"\n'
            f'chat_id = "{CHAT_ID}"\napi_base = "{tg.url}"\n',
        )
        code = await asyncio.to_thread(main, ["test-alert", "-c", config])
    out = capsys.readouterr().out
    assert code == 1
    assert "desk: FAILED: " in out and "not found" in out
    assert not any(c in out for c in "\x1b\x07"), out


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_channel_that_cannot_connect_says_so_as_a_poll_would(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _closed_port()
    config = write(
        tmp_path,
        f'[channels.desk]\ntype = "telegram"\nbot_token = "{BOT_TOKEN}"\n'
        f'chat_id = "{CHAT_ID}"\napi_base = "http://127.0.0.1:{port}"\n'
        f'[channels.hook]\ntype = "webhook"\nurl = "http://127.0.0.1:{port}/s3cret-path"\n',
    )
    assert main(["test-alert", "-c", config]) == 1
    out = capsys.readouterr().out
    for name in ("desk", "hook"):
        line = next(x for x in out.splitlines() if x.startswith(f"{name}: FAILED"))
        assert f"cannot connect to 127.0.0.1:{port} (connection refused)" in line, line
        for noise in ("ClientConnectorError", "ssl:", "Connect call failed"):
            assert noise not in line, line
    assert BOT_TOKEN not in out and "s3cret-path" not in out
