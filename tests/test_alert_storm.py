"""The alert-storm guard (issue 13, part 3): a burst of thousands of matching stories reaches
a channel as at most ``storm_limit`` alerts of the rule a minute plus one summary ("and
2,980 more", with the rule and what they were about); every alert held back is marked
``folded`` and counted in ``monitor status``. Real headlines (the UCI news slice), a real
Bot API stand-in; only the clock is moved."""

from __future__ import annotations

import asyncio
import csv
import json
import logging
import math
import os
import re
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from xml.sax.saxutils import escape

import aiohttp
import pytest
from aiohttp import web
from conftest import shared
from pydantic import TypeAdapter
from standins import BOT_TOKEN, CHAT_ID, serve_app, store_story, telegram_standin, tg_error

from monitor import outbox
from monitor.channels import build_channels
from monitor.channels.config import ChannelConfig
from monitor.match.config import RuleConfig
from monitor.models import Match, TermHit
from monitor.store import Store

RULE = RuleConfig(name="wire", query="the", channels=["desk"])


def headlines(count: int) -> list[str]:
    path = next(shared("uci-news-2014-03").glob("*.csv"))
    with path.open(encoding="utf-8") as f:
        titles = [row[1] for row in csv.reader(f)][1:]
    return list(dict.fromkeys(titles))[:count]


class Clock:
    """Real time moved to one second into a minute, plus what the test adds."""

    def __init__(self) -> None:
        now = time.time()
        self.offset = math.ceil(now / 60) * 60 + 1 - now

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(tmp_path / "monitor.db")
    try:
        yield s
    finally:
        await s.close()


async def burst(store: Store, titles: list[str], now: float) -> None:
    """One matched story per headline, as a poll of a huge feed writes them."""
    async with store.transaction() as db:
        for title in titles:
            story = await store_story(db, title=title, outlets=["Wire"], now=now)
            match = Match("wire", "normal", ("desk",), (TermHit("the", "the", "title", 0, 3),), "")
            await outbox.on_match(db, story=story, match=match, rule=RULE, now=now)


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def folded(store: Store) -> int:
    return int((await outbox.outbox_status(store.db, ["desk"]))["folded"])


async def test_a_burst_sends_the_limit_and_one_summary_a_minute(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="monitor.outbox")
    titles = headlines(3100)
    clock = Clock()
    async with telegram_standin() as tg, aiohttp.ClientSession() as session:
        config = TypeAdapter(ChannelConfig).validate_python(
            {"type": "telegram", "bot_token": BOT_TOKEN, "chat_id": CHAT_ID,
             "api_base": tg.url, "rate_limit": "off", "storm_limit": 20}
        )  # fmt: skip
        deliverer = outbox.Deliverer(store, build_channels({"desk": config}, session), clock=clock)
        stop = asyncio.Event()
        task = asyncio.create_task(deliverer.run(stop))
        try:
            await burst(store, titles[:3000], clock())
            deliverer.wake()
            await until(lambda: _equals(folded(store), 2980))
            await until(lambda: _true(len(tg.sent) == 20))  # sends finish after the folding
            await asyncio.sleep(0.3)
            assert len(tg.sent) == 20  # the limit, and the summary waits for the minute's end
            clock.offset += 60
            deliverer.wake()
            await until(lambda: _true(len(tg.sent) == 21))
            summary = tg.sent[20]["text"]
            assert "Alert storm" in summary and "and 2,980 more" in summary and "wire" in summary
            assert any(t in summary for t in titles[20:3000])  # what they were about

            # The next minute: the gate opens again for the limit, then folds again.
            await burst(store, titles[3000:], clock())
            deliverer.wake()
            await until(lambda: _equals(folded(store), 2980 + 80))
            await until(lambda: _true(len(tg.sent) == 21 + 20))
            await asyncio.sleep(0.3)
            assert len(tg.sent) == 21 + 20
            clock.offset += 60
            deliverer.wake()
            await until(lambda: _true(len(tg.sent) == 42))
            assert "and 80 more" in tg.sent[41]["text"]
        finally:
            stop.set()
            await task
    report = await outbox.outbox_status(store.db, ["desk"])
    assert report["pending"] == 0 and report["by_channel"]["desk"]["folded"] == 3060
    assert "3,060 folded" in outbox.render_status(report)[0]
    # The log: one line as each minute's storm starts (not one per batch the worker folds),
    # its end the summary's own "delivered" line.
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 2, warned
    assert all(
        w.startswith("desk: alert storm: rule 'wire' over 20 alerts a minute") for w in warned
    )
    summaries = [r.getMessage() for r in caplog.records if "(storm)" in r.getMessage()]
    assert [s.split(" (storm) ")[1] for s in summaries] == [
        "and 2,980 more alerts of rule 'wire'",
        "and 80 more alerts of rule 'wire'",
    ]


async def _equals(value: Awaitable[int], expected: int) -> bool:
    return await value == expected


async def _true(value: bool) -> bool:
    return value


async def test_an_outage_folds_nothing(store: Store) -> None:
    """A send that failed takes no place under the limit: after the outage, all go out."""
    async with telegram_standin() as tg, aiohttp.ClientSession() as session:
        tg.script = [tg_error(429, "Too Many Requests", retry_after=0)] * 40
        config = TypeAdapter(ChannelConfig).validate_python(
            {"type": "telegram", "bot_token": BOT_TOKEN, "chat_id": CHAT_ID, "api_base": tg.url,
             "rate_limit": "off", "storm_limit": 10, "retry_initial": "10ms", "retry_max": "20ms"}
        )  # fmt: skip
        await burst(store, headlines(10), time.time())
        assert await outbox.Deliverer(store, build_channels({"desk": config}, session)).drain(20)
    assert len(tg.sent) == 10 and await folded(store) == 0


async def test_every_drain_in_one_minute_announces_what_it_folded(store: Store) -> None:
    """Three `monitor once` runs within a minute (each drains, so its summary goes at once):
    the third summary's key was the second's, its insert was ignored, and the alerts it
    folded were announced by no message."""
    titles = headlines(90)
    start = Clock()()  # held there: the three runs fall in one minute however slow they are

    def clock() -> float:
        return start

    async with telegram_standin() as tg, aiohttp.ClientSession() as session:
        config = TypeAdapter(ChannelConfig).validate_python(
            {"type": "telegram", "bot_token": BOT_TOKEN, "chat_id": CHAT_ID,
             "api_base": tg.url, "rate_limit": "off", "storm_limit": 20}
        )  # fmt: skip
        for run_ in range(3):
            await burst(store, titles[run_ * 30 : run_ * 30 + 30], clock())
            deliverer = outbox.Deliverer(
                store, build_channels({"desk": config}, session), clock=clock
            )
            assert await deliverer.drain(60)
    texts = [m["text"] for m in tg.sent]
    summaries = [t for t in texts if t.startswith("<b>Alert storm:")]
    told = [int(re.search(r"and ([\d,]+) more", t)[1]) for t in summaries]  # type: ignore[index]
    assert len(texts) - len(summaries) == 20
    assert told == [10, 30, 30] and await folded(store) == 70


async def test_a_drain_sends_the_summary_the_running_workers_folded(store: Store) -> None:
    """Workers running (replay --deliver plays its records so) fold a storm into a summary
    due at the minute's end; the drain that follows sends it at once, as it sends what it
    folds itself. It waited for the minute's end, past replay's 30 s drain, and the summary
    was lost with replay's temporary database."""
    titles = headlines(30)
    clock = Clock()
    async with telegram_standin() as tg, aiohttp.ClientSession() as session:
        config = TypeAdapter(ChannelConfig).validate_python(
            {"type": "telegram", "bot_token": BOT_TOKEN, "chat_id": CHAT_ID,
             "api_base": tg.url, "rate_limit": "off", "storm_limit": 20}
        )  # fmt: skip
        deliverer = outbox.Deliverer(store, build_channels({"desk": config}, session), clock=clock)
        stop = asyncio.Event()
        task = asyncio.create_task(deliverer.run(stop))
        try:
            await burst(store, titles, clock())
            deliverer.wake()
            await until(lambda: _equals(folded(store), 10))
            started = time.monotonic()
            assert await deliverer.drain(60)
            # At once, not when its minute ends (the drain used to sit out the whole minute).
            assert time.monotonic() - started < 15
        finally:
            stop.set()
            await task
    summaries = [m["text"] for m in tg.sent if m["text"].startswith("<b>Alert storm:")]
    assert len(summaries) == 1 and "and 10 more" in summaries[0]


def rss(titles: list[str], base: str) -> bytes:
    items = "".join(
        f"<item><title>{escape(t)}</title><link>{base}/n/{i}</link><guid>{base}/n/{i}</guid></item>"
        for i, t in enumerate(titles)
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>Wire</title>{items}</channel></rss>".encode()


async def test_monitor_once_on_a_huge_matching_feed_sends_the_limit_and_a_summary(
    tmp_path: Path,
) -> None:
    titles = headlines(3000)
    body: dict[str, bytes] = {}

    async def serve(request: web.Request) -> web.Response:
        return web.Response(body=body["feed"], content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/feed.xml", serve)
    async with serve_app(app) as feeds, telegram_standin() as tg:
        body["feed"] = rss(titles, feeds)
        config = tmp_path / "config.toml"
        config.write_text(
            f"""
[monitor]
database = "{tmp_path}/monitor.db"
max_new_items = 5000  # all 3,000 items are news here: the storm is the channel's to fold

[[feeds]]
url = "{feeds}/feed.xml"

[[rules]]
name = "wire"
query = "the OR to OR in OR of OR for OR on"
channels = ["desk"]
alert_on = "story"  # a storm of stories: per event, 3,000 headlines make a hundred alerts

[channels.desk]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{tg.url}"
rate_limit = "off"
""",
            encoding="utf-8",
        )
        code, _, err = await run("once", "-c", str(config))
        assert code == 0, err
        status = json.loads((await run("status", "--json", "-c", str(config)))[1])
    matched = status["outbox"]["by_channel"]["desk"]
    assert matched.get("folded", 0) >= 500  # a storm indeed
    texts = [m["text"] for m in tg.sent]
    summaries = [t for t in texts if t.startswith("<b>Alert storm:")]
    # The limit (default 20), and one summary a minute (two if the run crossed a minute).
    assert len(texts) - len(summaries) == 20 and 1 <= len(summaries) <= 2
    told = sum(int(re.search(r"and ([\d,]+) more", t)[1].replace(",", "")) for t in summaries)  # type: ignore[index]
    assert told == matched["folded"] and matched["sent"] == len(texts)
    assert status["outbox"]["folded"] == matched["folded"] and status["outbox"]["pending"] == 0


async def run(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=dict(os.environ),
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 300)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()
