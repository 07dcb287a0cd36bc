"""review19c's D4: a keyed feed (Reddit-style ?feed=<40 hex>) permanently redirected to a URL
with a NEW key: the new key is no configured URL's, so it is never registered; the
"moved permanently to ..." log line and monitor status (table and --json, which print the
fetch_url kept in the store) showed it in clear. The pipeline registers the new URL's keys
as it follows the redirect, and status those of every URL a feed moved to."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import pytest
from aiohttp import web
from feedserver import FeedServer, rss
from helpers import config_file

from monitor import config as config_module
from monitor.cli import main
from monitor.daemon import Daemon
from monitor.log import PlainFormatter

OLD = "0123456789abcdef0123456789abcdef01234567"
NEW = "fedcba9876543210fedcba9876543210fedcba98"


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(PlainFormatter().format(record))


async def test_a_redirect_target_key_is_masked(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_server.handler(
        "/old.rss",
        lambda _: web.Response(status=301, headers={"Location": f"/new.rss?feed={NEW}&user=al"}),
    )
    feed_server.feed("/new.rss", rss("Private", [("Leaders meet", "http://e.org/1")]))
    lines = Lines()
    logger = logging.getLogger("monitor")
    logger.addHandler(lines)
    level = logger.level
    logger.setLevel(logging.INFO)
    path = config_file(tmp_path, [feed_server.url(f"/old.rss?feed={OLD}&user=al")])
    daemon = Daemon(config_module.load(path), path)
    task = asyncio.create_task(daemon.run())
    try:
        for _ in range(100):
            rt = daemon._rt
            if rt is not None and any(s.last_success for s in rt.states.values()):
                break
            await asyncio.sleep(0.05)
    finally:
        daemon.stop()
        await asyncio.wait_for(task, 10)
        logger.removeHandler(lines)
        logger.setLevel(level)
    log = "\n".join(lines.lines)
    assert "moved permanently" in log, log
    assert await asyncio.to_thread(main, ["status", "--json", "-c", str(path)]) == 0
    status = capsys.readouterr().out
    assert OLD not in log + status
    assert NEW not in status, status
    assert NEW not in log, log
    # A status of its own (a process that never polled): the stored URL's key, masked too.
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor", "status", "-c", str(path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode == 0, err
    assert "moved permanently" in out.decode() and NEW not in out.decode(), out
