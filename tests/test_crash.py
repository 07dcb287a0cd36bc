"""Crash consistency: a replay alerting to a Telegram stand-in is killed with SIGKILL at random
points and restarted each time on the same database. No alert is lost, at most one is sent
twice per kill (the suite reports how many), no item is stored twice, the store is intact.

CRASH_KILLS (default 3) and CRASH_HEADLINES (default 700) make it longer: `make soak` runs
it with more kills.
"""

from __future__ import annotations

import asyncio
import csv
import os
import random
import sqlite3
import sys
from pathlib import Path

import pytest
from conftest import shared
from standins import BOT_TOKEN, CHAT_ID, free_port, telegram_standin

KILLS = int(os.environ.get("CRASH_KILLS", "3"))
HEADLINES = int(os.environ.get("CRASH_HEADLINES", "700"))
pytestmark = pytest.mark.timeout(120 + KILLS * 60)

RULE = "title:apple OR title:google OR title:china OR title:obama OR title:bank* OR title:fed"


def _config(path: Path, api_base: str) -> None:
    path.write_text(f"""
[[rules]]
name = "watch"
query = "{RULE}"
channels = ["tg"]

[channels.tg]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{api_base}"
rate_limit = "off"
update_delay = "1h"
storm_limit = 0  # every alert must reach the chat, however many a minute
retry_initial = "1s"
retry_max = "2s"
""")


async def _replay(args: list[str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor", "replay", *args,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_sigkill_at_random_points_loses_no_alert(tmp_path: Path) -> None:
    source = next(shared("uci-news-2014-03").glob("*.csv"))
    with source.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    subset = tmp_path / "news.csv"
    with subset.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows[: HEADLINES + 1])
    database, config = tmp_path / "replay.db", tmp_path / "config.toml"
    port = free_port()
    rng = random.Random(int(os.environ.get("CRASH_SEED", "5")))
    args = [str(subset), "-c", str(config), "--deliver", "--database", str(database),
            "--port", str(port), "--step", "1800"]  # fmt: skip
    async with telegram_standin() as tg:
        _config(config, tg.url)
        killed = 0
        for _ in range(KILLS):
            proc = await _replay(args)
            await asyncio.sleep(rng.uniform(0.5, 3.0))
            if proc.returncode is None:
                proc.kill()  # SIGKILL: no cleanup of any kind
                killed += 1
            await proc.wait()
        final = await _replay(args)
        _, err = await asyncio.wait_for(final.communicate(), 120)
        assert final.returncode == 0, err.decode()[-2000:]
        sent = list(tg.sent)
    with sqlite3.connect(database) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        items = db.execute("SELECT COUNT(*), COUNT(DISTINCT guid) FROM items").fetchone()
        alerts = db.execute("SELECT COUNT(*) FROM alerts WHERE kind = 'new'").fetchone()[0]
        # Story updates wait out update_delay (1h here); the alerts themselves must all be out.
        states = dict(
            db.execute(
                "SELECT status, COUNT(*) FROM alerts WHERE kind = 'new' GROUP BY status"
            ).fetchall()
        )
        titles = [r[0] for r in db.execute(
            "SELECT s.title FROM alerts a JOIN stories s ON s.id = a.story_id WHERE a.kind = 'new'"
        )]  # fmt: skip
    assert items == (HEADLINES, HEADLINES), "an item was stored twice, or lost"
    assert alerts > 5 and states.get("pending", 0) == 0 and states.get("failed", 0) == 0
    # Every alert reached Telegram; a message may repeat only for a kill between send and mark.
    texts = [m["text"] for m in sent]
    assert all(any(_escape(t) in text for text in texts) for t in titles), "an alert was lost"
    doubled = len(texts) - alerts
    print(f"crash: {killed} kills, {alerts} alerts, {len(texts)} sent, {doubled} doubled")
    with open(os.environ.get("CRASH_REPORT", tmp_path / "crash.txt"), "a") as f:  # noqa: ASYNC230
        f.write(
            f"{killed} kills, {HEADLINES} headlines, {alerts} alerts, 0 lost, {doubled} doubled\n"
        )
    assert 0 <= doubled <= killed


def _escape(text: str) -> str:
    import html

    return html.escape(text[:40], quote=False)
