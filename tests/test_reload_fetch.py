"""SIGHUP applies the new [fetch] limits and User-Agent (it logged "reloaded" and kept the old
ones): polls after the reload are made with the new ones."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest
from aiohttp import web
from feedserver import FeedServer, rss

pytestmark = pytest.mark.timeout(120)

FEEDS = 8


def _config(path: Path, urls: list[str], *, agent: str, per_host: int) -> None:
    lines = [
        "[monitor]",
        f'database = "{path.parent / "monitor.db"}"',
        # Longer than a round of the feeds one at a time (part 1 of issue 13: a poll that
        # outlasts its interval is another matter).
        'interval = "3s"',
        'min_interval = "1s"',
        "jitter = 0.0",
        f'user_agent = "{agent}"',
        "[fetch]",
        f"per_host = {per_host}",
    ]
    for url in urls:
        lines += ["[[feeds]]", f'url = "{url}"']
    path.write_text("\n".join(lines) + "\n")


async def test_sighup_applies_new_fetch_limits_and_user_agent(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    seen: list[tuple[str, int]] = []  # (User-Agent, requests in flight at the host) per request
    in_flight = 0

    async def slow(request: web.Request) -> web.Response:
        nonlocal in_flight
        in_flight += 1
        seen.append((request.headers.get("User-Agent", ""), in_flight))
        try:
            # After the reload, longer: the feeds fell due 0.2s apart (each is due again an
            # interval after its poll ended), and they must overlap for the limit to show.
            await asyncio.sleep(0.2 if seen[-1][0] == "first-agent/1" else 1.0)  # this request
            return web.Response(body=rss("F", [("Same item", "http://example.org/1")]))
        finally:
            in_flight -= 1

    urls = []
    for i in range(FEEDS):
        feed_server.handler(f"/f{i}", slow)
        urls.append(feed_server.url(f"/f{i}"))
    path = tmp_path / "config.toml"
    _config(path, urls, agent="first-agent/1", per_host=1)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor", "run", "-c", str(path),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        for _ in range(300):
            if len(seen) >= FEEDS:
                break
            await asyncio.sleep(0.05)
        before = list(seen)
        assert before and all(agent == "first-agent/1" and n == 1 for agent, n in before)
        _config(path, urls, agent="second-agent/2", per_host=FEEDS)
        proc.send_signal(signal.SIGHUP)
        for _ in range(600):
            after = [(a, n) for a, n in seen if a == "second-agent/2"]
            if len(after) >= FEEDS:
                break
            await asyncio.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
    log = err.decode()
    assert "reloaded the config" in log, log
    assert len(after) >= FEEDS, log
    # The host's new limit is used: several of its feeds are fetched at once.
    assert max(n for _, n in after) > 1
