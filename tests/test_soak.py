"""Soak: 500 live feeds that change every few seconds, polled every 5 s, beside the whole
misbehaving-server table, for minutes. The daemon stays up, its resident memory and open
file descriptors stay flat, polls keep their schedule, SIGTERM leaves integrity_check ok.

Slow: run with ``make soak`` (or ``pytest -m slow``); SOAK_SECONDS sets the length (180).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from aiohttp import web
from feedserver import FeedServer, rss
from test_fetch_hostile import TABLE

SECONDS = float(os.environ.get("SOAK_SECONDS", "180"))
pytestmark = [pytest.mark.slow, pytest.mark.timeout(SECONDS + 180)]
FEEDS = int(os.environ.get("SOAK_FEEDS", "500"))
INTERVAL = 5.0


def _live(i: int):  # type: ignore[no-untyped-def]
    """A feed that gains an item every 3 s and shows its latest five."""

    async def handler(request: web.Request) -> web.Response:
        tick = int(time.time() / 3)
        items = [
            (f"Feed {i} update {t}", f"http://example.org/{i}/{t}")
            for t in range(tick - 4, tick + 1)
        ]
        return web.Response(body=rss(f"Live {i}", items[::-1]), content_type="application/rss+xml")

    return handler


def _proc_stats(pid: int) -> tuple[int, int]:
    rss_kb = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss_kb = int(line.split()[1])
    return rss_kb, len(os.listdir(f"/proc/{pid}/fd"))


async def test_soak(feed_server: FeedServer, tmp_path: Path) -> None:
    urls = []
    for i in range(FEEDS):
        feed_server.handler(f"/live{i}", _live(i))
        urls.append(feed_server.url(f"/live{i}"))
    for path, handler, _ in TABLE:
        feed_server.handler(path, handler)
        urls.append(feed_server.url(path))
    feed_server.handler("/loop2", lambda r: web.Response(status=302, headers={"Location": "/loop"}))
    lines = [
        "[monitor]", f'database = "{tmp_path / "soak.db"}"', f'interval = "{INTERVAL:g}s"',
        'min_interval = "1s"', 'max_backoff = "30s"', "jitter = 0.1", 'grace_period = "5s"',
        "[fetch]", 'timeout = "4s"', 'read_timeout = "2s"', "max_body = 1048576",
        "concurrency = 100", "per_host = 100",
    ]  # fmt: skip
    for url in urls:
        lines += ["[[feeds]]", f'url = "{url}"']
    config = tmp_path / "config.toml"
    config.write_text("\n".join(lines) + "\n")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor", "run", "-c", str(config),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    samples: list[tuple[float, int, int]] = []
    started = time.monotonic()
    stderr_task = asyncio.create_task(proc.stderr.read())  # type: ignore[union-attr]
    try:
        while time.monotonic() - started < SECONDS:
            await asyncio.sleep(5)
            assert proc.returncode is None, "the daemon died during the soak"
            samples.append((time.monotonic() - started, *_proc_stats(proc.pid)))
        polls = len(feed_server.requests)
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
    log = (await stderr_task).decode()
    assert proc.returncode == 0, log[-2000:]
    with sqlite3.connect(tmp_path / "soak.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        items = db.execute("SELECT COUNT(*) FROM items").fetchone()[0]
    warm = [s for s in samples if s[0] >= SECONDS / 3]
    rss_start, fd_start = warm[0][1], warm[0][2]
    rss_end, fd_end = samples[-1][1], samples[-1][2]
    per_feed = Counter(r.path for r in feed_server.requests if r.path.startswith("/live"))
    live_polls = sum(per_feed.values())
    fewest = min(per_feed.get(f"/live{i}", 0) for i in range(FEEDS))
    expected = FEEDS * SECONDS / INTERVAL
    report = (
        f"soak {SECONDS:.0f}s: {FEEDS} live feeds + {len(TABLE)} hostile, {polls} requests "
        f"({polls / SECONDS:.0f}/s), live polls {live_polls} of ~{expected:.0f} scheduled "
        f"(the least polled feed {fewest} times of ~{SECONDS / INTERVAL:.0f}), "
        f"{items} items; RSS {samples[0][1] // 1024} MB at start, {rss_start // 1024} MB warm, "
        f"{rss_end // 1024} MB at end; fds {samples[0][2]} / {fd_start} / {fd_end}"
    )
    print(report)
    with open(os.environ.get("SOAK_REPORT", tmp_path / "soak.txt"), "a") as f:  # noqa: ASYNC230
        f.write(report + "\n")
    assert live_polls >= 0.8 * expected, report  # polls keep their schedule
    # ... every one of them: none dropped from the schedule, beside the hostile table.
    assert fewest >= 0.5 * SECONDS / INTERVAL, report
    assert rss_end - rss_start < max(20 * 1024, rss_start * 0.15), report
    assert abs(fd_end - fd_start) <= 20, report
