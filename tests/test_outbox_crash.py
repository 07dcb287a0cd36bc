"""kill -9 while Telegram is down and alerts wait: after restart each is delivered once."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
from standins import BOT_TOKEN, CHAT_ID, free_port, store_story, telegram_standin
from test_outbox_delivery import match_for, telegram

from monitor import outbox
from monitor.channels import build_channels
from monitor.match.config import RuleConfig
from monitor.store import Store

REPO = Path(__file__).resolve().parents[1]

# The daemon's delivery side, alone, in its own process: deliver forever to ``api_base``.
WORKER = """
import asyncio, sys
import aiohttp
from pydantic import TypeAdapter
from monitor.channels import build_channels
from monitor.channels.config import ChannelConfig
from monitor.outbox import Deliverer
from monitor.store import Store

async def main(db_path, api_base):
    store = await Store.open(db_path)
    config = TypeAdapter(ChannelConfig).validate_python({
        "type": "telegram", "bot_token": sys.argv[3], "chat_id": sys.argv[4],
        "api_base": api_base, "retry_initial": "50ms", "retry_max": "200ms",
        "rate_limit": "off"})
    async with aiohttp.ClientSession() as session:
        deliverer = Deliverer(store, build_channels({"desk": config}, session))
        print("delivering", flush=True)
        await deliverer.run(asyncio.Event())

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


def _retries(db_path: Path) -> int:
    with sqlite3.connect(db_path) as db:
        (count,) = db.execute(
            "SELECT COUNT(*) FROM alert_attempts WHERE outcome = 'retry'"
        ).fetchone()
    return int(count)


async def test_sigkill_while_telegram_is_down_then_each_alert_delivered_once(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "monitor.db"
    rule = RuleConfig(name="peace-talks", query="Putin", channels=["desk"])
    store = await Store.open(db_path)
    now = time.time()
    for i in range(5):
        async with store.transaction() as db:
            story = await store_story(db, title=f"Waiting story {i}", outlets=["TASS"], now=now)
            await outbox.on_match(db, story=story, match=match_for(rule), rule=rule, now=now)
    await store.close()

    down = f"http://127.0.0.1:{free_port()}"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WORKER, str(db_path), down, BOT_TOKEN, CHAT_ID,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 15
        while _retries(db_path) < 6:  # it is running and failing against the dead endpoint
            assert proc.returncode is None, "the worker died on its own"
            assert time.monotonic() < deadline, "the worker never tried to deliver"
            await asyncio.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        await asyncio.wait_for(proc.wait(), 10)
    assert proc.returncode == -signal.SIGKILL

    store = await Store.open(db_path)
    try:
        async with (
            telegram_standin() as tg,
            aiohttp.ClientSession() as session,
        ):
            channels = build_channels({"desk": telegram(tg.url)}, session)
            assert await outbox.Deliverer(store, channels).drain(10)
        titles = sorted(m["text"].split("</b> <b>")[1].split("</b>")[0] for m in tg.sent)
        assert titles == [f"Waiting story {i}" for i in range(5)]
        async with store.db.raw.execute("SELECT status, COUNT(*) FROM alerts GROUP BY 1") as cur:
            assert dict(await cur.fetchall()) == {"sent": 5}
        assert await store.integrity_ok()
    finally:
        await store.close()
