"""Ctrl-C and SIGTERM on ``monitor run`` as a process: every path ends the process within
seconds with the database closed (its thread gone, its lock free).

``timeout -s INT`` and a terminal's Ctrl-C signal the process group, so the daemon gets a
signal twice at once; the second used to land after the daemon's handlers were removed, as
a KeyboardInterrupt inside the close, and leave the database's thread (not a daemon thread)
waiting for work forever: the process hung at exit holding the database's lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from pathlib import Path

import pytest
from aiohttp import web
from feedserver import FeedServer, rss

# Each try's bound: the grace period (1 s) plus the close, on a loaded machine.
_EXIT_WITHIN = 15.0


def _config(tmp_path: Path, urls: list[str], name: str, extra: str = "") -> Path:
    lines = [
        "[monitor]", 'max_age = "36500d"', 'retention = "36500d"',
        f'database = "{tmp_path / name}.db"',
        'grace_period = "1s"',
        "jitter = 0.0",
    ]
    for url in urls:
        lines += ["[[feeds]]", f'url = "{url}"', 'interval = "1m"']
    path = tmp_path / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


def _feeds(feed_server: FeedServer) -> list[str]:
    """Six quick feeds and two slow ones: a signal finds polls done and polls in flight."""

    def slow(i: int):  # type: ignore[no-untyped-def]
        async def handler(request: web.Request) -> web.Response:
            await asyncio.sleep(0.3 * i)
            return web.Response(
                body=rss(f"S{i}", [(f"Slow item {i}", f"http://example.org/s{i}")]),
                content_type="application/rss+xml",
            )

        return handler

    urls = []
    for i in range(6):
        feed_server.feed(f"/q{i}", rss(f"Q{i}", [(f"Quick item {i}", f"http://example.org/{i}")]))
        urls.append(feed_server.url(f"/q{i}"))
    for i in (3, 6):  # 0.9 s and 1.8 s: the second still in flight 1.2 s after "started"
        feed_server.handler(f"/s{i}", slow(i))
        urls.append(feed_server.url(f"/s{i}"))
    return urls


async def _run_and_signal(
    path: Path,
    sig: signal.Signals,
    after: str,
    delay: float,
    gap: float = 0.0,
    ready: asyncio.Event | None = None,
) -> tuple[str, float]:
    """``monitor run`` in a process group of its own, signalled like ``timeout -s SIG``
    does (the process, then its group: twice, ``gap`` seconds apart) ``delay`` seconds after
    its stderr shows ``after`` ("" for at once); its stderr once it has exited, and how long
    it took to exit after the first signal. With ``ready``, the signals wait for it too."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor", "-c", str(path), "run",
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    assert proc.stderr is not None
    lines: list[str] = []
    try:
        if after:
            try:
                async with asyncio.timeout(30):
                    while after not in "".join(lines):
                        line = await proc.stderr.readline()
                        assert line, "".join(lines)
                        lines.append(line.decode())
            except TimeoutError:
                pytest.fail(f"no {after!r} in 30s: {''.join(lines)}")
        if ready is not None:
            await asyncio.wait_for(ready.wait(), 30)
        await asyncio.sleep(delay)
        os.kill(proc.pid, sig)
        sent = time.monotonic()
        time.sleep(gap)  # noqa: ASYNC251 (to the millisecond: the race is that narrow)
        with contextlib.suppress(ProcessLookupError):  # it may be gone already
            os.killpg(proc.pid, sig)
        try:
            async with asyncio.timeout(_EXIT_WITHIN):
                rest = await proc.stderr.read()
                await proc.wait()
        except TimeoutError:
            pytest.fail(f"{sig.name} {delay}s after {after!r}: still running after {_EXIT_WITHIN}s")
        took = time.monotonic() - sent
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()
    log = "".join(lines) + rest.decode()
    # A signal the daemon did not take (Python still importing, or the second of two once
    # all is closed) ends it as such a signal does: by KeyboardInterrupt (130) or SIGTERM.
    assert proc.returncode in (0, 130, -sig), log
    assert after == "" or "Traceback" not in log, log
    assert took < _EXIT_WITHIN, log
    return log, took


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
async def test_a_double_signal_at_any_moment_ends_the_daemon_and_frees_the_database(
    feed_server: FeedServer, tmp_path: Path, sig: signal.Signals
) -> None:
    urls = _feeds(feed_server)
    # During the start (the store opening), just after it, during the first polls (the
    # slow feeds in flight), once they are done; the second signal at once or a few
    # milliseconds later (the close of an idle daemon takes a few): the race is narrow.
    # SIGINT (Ctrl-C, or `timeout -s INT`, which signals twice) at every moment; SIGTERM
    # (systemd signals once) at a few. Each exit frees the lock (flock dies with the process);
    # the last try's store must also open again.
    moments = {
        signal.SIGINT: [
            ("", 0.6, 0.0), ("started", 1.2, 0.002), ("polled", 0.3, 0.0),
            ("polled", 0.3, 0.002), ("polled", 0.3, 0.004),
        ],
        signal.SIGTERM: [
            ("rebuilt the event window", 0.0, 0.0), ("started", 0.0, 0.0), ("polled", 0.3, 0.001),
        ],
    }[sig]  # fmt: skip
    for n, (after, delay, gap) in enumerate(moments):
        path = _config(tmp_path, urls, f"try{n}")  # a new store: its first polls are due
        await _run_and_signal(path, sig, after, delay, gap)
    # The database is closed whole: the next run starts (and stops).
    await _run_and_signal(path, signal.SIGTERM, "started", 0.0)


async def test_a_second_sigint_during_a_send_ends_the_daemon_at_once(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """Ctrl-C while a webhook hangs on an alert: the first waits for the send (ten
    seconds), the second cancels it, and the store is closed either way."""
    sending = asyncio.Event()

    async def hook(request: web.Request) -> web.Response:
        sending.set()
        await asyncio.sleep(60)
        return web.Response(text="ok")

    feed_server.handler("/hook", hook)
    feed_server.feed("/a", rss("A", [("Harbour strike closes port", "http://example.org/a")]))
    extra = f"""
[[rules]]
name = "strike"
query = "strike"
channels = ["hook"]

[channels.hook]
type = "webhook"
url = "{feed_server.url("/hook")}"
"""
    path = _config(tmp_path, [feed_server.url("/a")], "send", extra)
    log, took = await _run_and_signal(path, signal.SIGINT, "started", 0.2, 0.5, sending)
    assert "second signal" in log, log
    assert took < 8, f"took {took:.1f}s: the second SIGINT did not cut the send short"
    await _run_and_signal(path, signal.SIGTERM, "started", 0.0)
