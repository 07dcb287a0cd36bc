"""A feed's key whose parameter the masking did not know by name (explore14's secret_params:
``?accesstoken=``, Reddit's ``?feed=<hex>&user=``, ``?access_code=``, ``?jwt=``) reaches no
reader: not a log line, ``monitor status --json``, the /metrics body nor the health alert a
webhook receives. A feed whose whole URL comes from the environment is named by its
variable there, never by its value. The daemon runs in-process over real local servers."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from feedserver import FeedServer, rss
from helpers import config_file
from standins import webhook_receiver

from monitor import config as config_module
from monitor.cli import main
from monitor.daemon import Daemon
from monitor.log import JsonFormatter, PlainFormatter

PRIVATE = "/feed/private-401"  # three feeds of one site, told apart by their parameters
KEYS = {
    f"{PRIVATE}?accesstoken=": "Ak3yAAAA1111",
    f"{PRIVATE}?user=alice&feed=": "0123456789abcdef0123456789abcdef01234567",
    f"{PRIVATE}?access_code=": "C0deCCCC3333",
    "/d.rss?jwt=": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIx.c2lnbmF0dXJl",
}
NAMES = ("401?accesstoken=***", "401?user=alice&feed=***", "401?access_code=***")
WORKING = "/ok.rss?authtoken=0k1234abcdXYZ"  # its /metrics label is its URL
WHOLE = "Pr1vate-Feed-Key-777"  # in PRIVATE_FEED_URL, the whole URL from the environment


class Lines(logging.Handler):
    """Every record as a user reads it: formatted plain and as JSON."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines += [PlainFormatter().format(record), JsonFormatter().format(record)]


async def test_feed_keys_reach_no_log_status_metrics_or_health_alert(
    feed_server: FeedServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for path in (PRIVATE, "/d.rss", "/e.rss"):
        feed_server.handler(path, lambda _: web.Response(status=500))
    feed_server.feed("/ok.rss", rss("Wire", [("Leaders meet in Geneva", "http://e.org/1")]))
    monkeypatch.setenv("PRIVATE_FEED_URL", feed_server.url(f"/e.rss?privatekey={WHOLE}"))
    feeds = [feed_server.url(path + key) for path, key in KEYS.items()]
    lines = Lines()
    logger = logging.getLogger("monitor")
    logger.addHandler(lines)
    try:
        async with webhook_receiver() as hook:
            hook_channel = f'[channels.hook]\ntype = "webhook"\nurl = "{hook.url}"\n'
            path = config_file(
                tmp_path, [*feeds, feed_server.url(WORKING), "${PRIVATE_FEED_URL}"], hook_channel,
                metrics="127.0.0.1:0", health_after="50ms", health_channels=["hook"],
            )  # fmt: skip
            daemon = Daemon(config_module.load(path), path)
            task = asyncio.create_task(daemon.run())
            try:
                for _ in range(100):  # every feed polled once: five failed
                    rt = daemon._rt
                    if rt is not None and daemon.metrics_port is not None:
                        states = rt.states.values()
                        if sum(bool(s.error_streak or s.last_success) for s in states) == 6:
                            break
                    await asyncio.sleep(0.05)
                await asyncio.sleep(0.06)  # past health_after
                await daemon._check_feed_health()
                for _ in range(100):
                    if len(hook.requests) >= 5:
                        break
                    await asyncio.sleep(0.05)
                async with (
                    aiohttp.ClientSession() as session,
                    session.get(f"http://127.0.0.1:{daemon.metrics_port}/metrics") as resp,
                ):
                    metrics = await resp.text()
            finally:
                daemon.stop()
                await asyncio.wait_for(task, 10)
            alerts = [body.decode() for _, body in hook.requests]
    finally:
        logger.removeHandler(lines)
    assert len(alerts) == 5, alerts  # a health alert for every failing feed
    assert await asyncio.to_thread(main, ["status", "--json", "-c", str(path)]) == 0
    status = capsys.readouterr().out
    assert await asyncio.to_thread(main, ["status", "-c", str(path)]) == 0
    table = capsys.readouterr().out
    seen = {"log": "\n".join(lines.lines), "status": status, "metrics": metrics, "table": table}
    seen["health alerts"] = "\n".join(alerts)
    assert "HTTP 500" in seen["log"] and "HTTP 500" in seen["health alerts"]
    for where, text in seen.items():
        for key in (*KEYS.values(), WHOLE):
            assert key not in text, (where, key)
        assert WORKING.split("=")[1] not in text, where
    # Still told apart: each feed's path and parameters, the environment's by its variable.
    for where in ("log", "status", "health alerts"):
        for name in (*NAMES, "${PRIVATE_FEED_URL}"):
            assert name in seen[where], (where, name)
    # status's FEED column: the three keyed URLs of one site are three, not one cut prefix.
    rows = [line for line in table.splitlines() if "HTTP 500" in line]
    assert len(rows) == 5 and len({row[2:42] for row in rows}) == 5, table
    assert "ok.rss?authtoken=*** #" in metrics  # and the feed's number: a series of its own
