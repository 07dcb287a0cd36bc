"""Secrets never reach a log line: a feed URL's key from the environment, URL credentials,
secret-looking query parameters (run as a user runs it: `monitor once`, its stderr read)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from feedserver import FeedServer

from monitor.cli import main
from monitor.redact import redact, register

KEY = "s3cr3t-feed-key-81723"


async def test_monitor_once_never_logs_the_feed_key(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    url = feed_server.url("/private.xml")  # not served: the poll fails, and says so with the feed
    config = tmp_path / "monitor.toml"
    config.write_text(
        f'[monitor]\ndatabase = "{tmp_path / "m.db"}"\n'
        f'[[feeds]]\nurl = "{url}?api_key=${{FEED_KEY}}"\n'
        f'[[feeds]]\nurl = "{url.replace("://", "://reader:${FEED_PASSWORD}@")}"\n'
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor", "once", "-c", str(config), "--log-format", "json",
        env={**os.environ, "FEED_KEY": KEY, "FEED_PASSWORD": "hunter2-pass"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    log = stderr.decode() + stdout.decode()
    assert "404" in log and "private.xml" in log  # the failure is there, naming its feed
    assert KEY not in log and "hunter2-pass" not in log
    assert "api_key=***" in log and "://***@" in log
    assert len(feed_server.hits("/private.xml")) == 2  # the real URLs were used


def test_redact_masks_credentials_and_secret_parameters_only() -> None:
    assert redact("GET https://u:p@host/f?token=abc&page=2#x") == (
        "GET https://***@host/f?token=***&page=2#x"
    )
    assert redact("https://h/f?apiKey=1&X-Amz-Signature=2&q=putin") == (
        "https://h/f?apiKey=***&X-Amz-Signature=***&q=putin"
    )
    assert redact("[feed=https://h/cb#access_token=xyz&state=1]") == (
        "[feed=https://h/cb#access_token=***&state=1]"
    )
    ordinary = "https://example.org/rss?author=kim&keywords=summit&side=left&topic=keynote"
    assert redact(ordinary) == ordinary


def test_registered_secrets_are_masked_whole_longest_first() -> None:
    register("P@ss#w0rd&1")  # "@", "#" and "&" must not let the URL patterns cut it first
    register("tail-secret")
    register("tail-secret-and-more")
    line = "https://reader:P@ss#w0rd&1@h/x ?k=tail-secret-and-more tail-secret"
    assert redact(line) == "https://***@h/x ?k=*** ***"


def test_check_config_errors_do_not_show_a_secret_from_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FEED_KEY", KEY)
    monkeypatch.setenv("STATE", str(tmp_path))
    config = tmp_path / "monitor.toml"
    config.write_text(
        '[monitor]\ndatabase = "${STATE}/m.db"\n'
        '[[feeds]]\nurl = "htps://feeds.example.org/rss?api_key=${FEED_KEY}"\n'
    )
    assert main(["check-config", "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert "feeds[0].url" in err and "htps://feeds.example.org/rss?api_key=***" in err
    assert KEY not in err
    assert redact(str(tmp_path)) == str(tmp_path)  # a path from the environment is no secret
