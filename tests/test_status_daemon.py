"""`monitor status` says first whether a monitor is running on the store, since when, and
when a feed was last polled: the first thing a user asks when no alerts come."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import sqlite3
import sys
from pathlib import Path

import pytest
from feedserver import FeedServer, rss
from helpers import config_file

pytestmark = pytest.mark.timeout(120)


async def _monitor(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


def _polled(database: Path) -> bool:
    """Whether the store has a feed's last poll written (what status shows as "last poll")."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT 1 FROM feeds WHERE last_checked IS NOT NULL").fetchone()
    except sqlite3.OperationalError:  # not created yet, or busy
        return False
    return row is not None


async def _status(config: Path) -> tuple[str, dict[str, object]]:
    text, _ = await (await _monitor("status", "-c", str(config))).communicate()
    document, _ = await (await _monitor("status", "--json", "-c", str(config))).communicate()
    return text.decode().splitlines()[0], json.loads(document)["daemon"]


@pytest.mark.parametrize(
    ("daemon", "first_line", "running"),
    [
        ("none ran", r"^Daemon: not running on this database; last poll \d+s ago$", False),
        (
            "running",
            r"^Daemon: running, pid (?P<pid>\d+) \(monitor run\), started \d+s ago; "
            r"last poll \d+s ago$",
            True,
        ),
        # A daemon killed with -9 leaves its pid in the lock file: not taken for a live one.
        ("killed", r"^Daemon: not running on this database; last poll \d+s ago$", False),
    ],
)
async def test_status_says_whether_a_daemon_runs_on_the_store(
    feed_server: FeedServer, tmp_path: Path, daemon: str, first_line: str, running: bool
) -> None:
    feed_server.feed("/news", rss("News", [("Markets open higher", "http://example.org/1")]))
    config = config_file(tmp_path, [feed_server.url("/news")])
    proc = None
    if daemon == "none ran":
        code = await (await _monitor("once", "-c", str(config))).wait()
        assert code == 0
    else:
        proc = await _monitor("run", "-c", str(config))
        for _ in range(600):  # the lock taken and the poll's state written
            if (
                feed_server.hits("/news")
                and (tmp_path / "monitor.db.lock").read_text().strip()
                and _polled(tmp_path / "monitor.db")
            ):
                break
            await asyncio.sleep(0.05)
        if daemon == "killed":
            proc.kill()
            await proc.wait()
    try:
        line, document = await _status(config)
    finally:
        if proc is not None and proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            await proc.wait()
    found = re.match(first_line, line)
    assert found, line
    assert document["running"] is running
    assert document["last_poll"]
    if running:
        assert proc is not None and found["pid"] == str(proc.pid) == str(document["pid"])
