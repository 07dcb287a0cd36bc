"""`monitor once` stopped with Ctrl-C (SIGINT): one line saying what it did and what it left,
exit 130, and nothing lost: the next run polls the rest and sends every alert once."""

from __future__ import annotations

import asyncio
import re
import signal
import sqlite3
import sys
from collections import Counter
from pathlib import Path

import pytest
from aiohttp import web
from feedserver import FeedServer, rss
from headlines import HEADLINES
from standins import BOT_TOKEN, CHAT_ID, telegram_standin

pytestmark = pytest.mark.timeout(180)


def _config(tmp_path: Path, urls: list[str], api_base: str) -> Path:
    feeds = "".join(f'[[feeds]]\nurl = "{url}"\n' for url in urls)
    path = tmp_path / "config.toml"
    path.write_text(f"""
[monitor]
max_age = "36500d"
retention = "36500d"
database = "{tmp_path / "monitor.db"}"
jitter = 0.0

{feeds}
[[rules]]
name = "summits"
query = "summit"
channels = ["tg"]

[channels.tg]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{api_base}"
rate_limit = "off"
""")
    return path


async def _once(config: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor", "once", "-c", str(config), cwd=config.parent,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _wait_for(condition, within: float = 60) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(within / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("timed out")


def _alerts(database: Path) -> int:
    if not database.exists():
        return 0
    try:
        with sqlite3.connect(database) as db:
            return int(db.execute("SELECT COUNT(*) FROM alerts").fetchone()[0])
    except sqlite3.OperationalError:  # not migrated yet
        return 0


@pytest.mark.parametrize(
    ("when", "held", "tg_delay", "said"),
    [
        # Six feeds answered and stored, six still waiting for their server.
        (
            "while polling",
            6,
            0.0,
            r"^interrupted: 6 of 12 feeds polled; 6 alerts wait in the outbox; nothing lost; "
            r"the next run polls the rest and sends them$",
        ),
        # Every feed polled; the Bot API is slow, so the alerts are going out one by one.
        (
            "while delivering",
            0,
            0.4,
            r"^interrupted: 12 of 12 feeds polled; \d+ alerts? waits? in the outbox; "
            r"nothing lost; the next run sends them$",
        ),
    ],
)
async def test_ctrl_c_says_what_was_done_and_the_next_run_finishes_it(
    feed_server: FeedServer, tmp_path: Path, when: str, held: int, tg_delay: float, said: str
) -> None:
    release = asyncio.Event()

    def serve(i: int):  # type: ignore[no-untyped-def]
        async def handler(request: web.Request) -> web.Response:
            if i >= len(HEADLINES) - held:
                await release.wait()
            return web.Response(
                body=rss(f"Outlet {i}", [(HEADLINES[i], f"http://example.org/{i}")]),
                content_type="application/rss+xml",
            )

        return handler

    urls = []
    for i in range(len(HEADLINES)):
        feed_server.handler(f"/f{i}", serve(i))
        urls.append(feed_server.url(f"/f{i}"))
    async with telegram_standin(delay=tg_delay) as tg:
        config = _config(tmp_path, urls, tg.url)
        proc = await _once(config)
        try:
            if held:
                await _wait_for(lambda: _alerts(tmp_path / "monitor.db") == 12 - held)
                await asyncio.sleep(1.5)  # the polls that stored them end (just after)
            else:
                await _wait_for(lambda: len(tg.sent) >= 2)
            proc.send_signal(signal.SIGINT)
            _out, err = await asyncio.wait_for(proc.communicate(), 60)
        finally:
            if proc.returncode is None:
                proc.kill()
        log = err.decode()
        assert proc.returncode == 130, log
        assert "Traceback" not in log, log
        assert re.search(said, log.strip().splitlines()[-1]), log
        release.set()
        tg.delay = 0.0
        proc = await _once(config)
        _out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
    texts = Counter(str(call["text"]) for call in tg.sent)
    assert len(tg.sent) == len(HEADLINES), texts
    assert [t for t, n in texts.items() if n > 1] == []
