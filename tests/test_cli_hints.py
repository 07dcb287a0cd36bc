"""What the commands tell a user to do next: a feed that moved (status, export-opml), a test
message refused beside a running daemon."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp import web
from feedserver import FeedServer, rss
from standins import BOT_TOKEN, CHAT_ID

from monitor.cli import main
from monitor.store.lock import WriterLock


async def test_a_feed_that_moved_permanently_is_said_by_status_and_export(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = feed_server.url("/new.xml")
    feed_server.feed("/new.xml", rss("Harbour News", [("Port reopens", "http://example.org/1")]))
    feed_server.handler(
        "/old.xml", lambda request: web.Response(status=301, headers={"Location": new})
    )
    config = tmp_path / "config.toml"
    config.write_text(
        f'[monitor]\ndatabase = "{tmp_path / "monitor.db"}"\n'
        f'[[feeds]]\nurl = "{feed_server.url("/old.xml")}"\nname = "Harbour"\n'
    )
    assert await asyncio.to_thread(main, ["once", "-c", str(config)]) == 0
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["status", "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert f"  Harbour: moved permanently to {new}; polled there, put that URL in the config" in (
        out.splitlines()
    ), out
    assert await asyncio.to_thread(main, ["export-opml", "-c", str(config)]) == 0
    out, err = capsys.readouterr()
    assert feed_server.url("/old.xml") in out  # as configured: importing it back finds it known
    assert f"moved permanently to {new}" in err and "put the new URL in the config" in err


def test_test_alert_beside_a_running_daemon_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "monitor.db"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[monitor]\ndatabase = "{database}"\n[channels.desk]\ntype = "telegram"\n'
        f'bot_token = "{BOT_TOKEN}"\nchat_id = "{CHAT_ID}"\napi_base = "http://127.0.0.1:9"\n'
    )
    daemon = WriterLock.acquire(database)  # what `monitor run` holds while it runs
    try:
        assert main(["test-alert", "-c", str(config)]) == 1
    finally:
        daemon.release()
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert str(database) in lines[0] and "stop it to send a test message" in lines[0], lines
    assert "a copy of the config whose [monitor] database is another file" in lines[0], lines
    # Not a warning against a second sender followed by the advice to run one.
    assert "would break" not in lines[0] and "one test message is no strain" in lines[0], lines
