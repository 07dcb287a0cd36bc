"""7a199de: "a second signal cancels polls and sends in flight". Engine.hurry() cancels the
delivery only once engine.close() has begun (self._stop is set). A second Ctrl-C that lands
while the daemon still waits out grace_period for a poll in flight (the usual moment: the
first Ctrl-C seems to hang) cancels the poll, but hurry() is a no-op then and is not
remembered: the close that follows waits the full ten seconds on the hanging send."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from aiohttp import web
from feedserver import FeedServer, rss
from test_daemon_signals import _run_and_signal


async def test_a_second_sigint_during_the_grace_period_cuts_the_send_short(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    sending = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        sending.set()
        await asyncio.sleep(60)
        return web.Response(text="ok")

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(60)  # a poll still in flight when the signals come
        return web.Response(body=rss("S", []), content_type="application/rss+xml")

    feed_server.handler("/hook", hook)
    feed_server.handler("/slow", slow)
    feed_server.feed("/a", rss("A", [("Harbour strike closes port", "http://example.org/a")]))
    path = tmp_path / "c.toml"
    path.write_text(f"""
[monitor]
max_age = "36500d"
retention = "36500d"
database = "{tmp_path / "c.db"}"
grace_period = "20s"
jitter = 0.0

[[feeds]]
url = "{feed_server.url("/a")}"
interval = "1m"

[[feeds]]
url = "{feed_server.url("/slow")}"
interval = "1m"

[[rules]]
name = "strike"
query = "strike"
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{feed_server.url("/hook")}"
""")
    log, took = await _run_and_signal(path, signal.SIGINT, "started", 0.2, 0.5, sending)
    assert "second signal" in log, log
    assert took < 5, f"took {took:.1f}s: the second SIGINT did not cut the send short\n{log}"
