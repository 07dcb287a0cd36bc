"""What a channel's refusals make the outbox do (review18d on fixtg13): a 503 with
Retry-After is a failure with a hint, not a rate limit, so its back-off still grows (it was
retried about every second for a day: ~80,000 requests); and the sends of one burst refused
for a config problem at once (concurrency > 1) do not each double the wait for the next
probe (60 s became 480)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from pydantic import TypeAdapter
from standins import CHAT_ID, serve_app, telegram_standin
from test_outbox_delivery import Clock, matched_story, rule
from test_outbox_held import telegram
from test_outbox_retry_order import HEADLINES, _happened

from monitor import outbox
from monitor.channels import build_channels
from monitor.channels.config import ChannelConfig
from monitor.store import Store


@pytest.fixture
async def store(database: str) -> AsyncIterator[Store]:
    s = await Store.open(database)
    try:
        yield s
    finally:
        await s.close()


async def test_a_webhook_down_with_retry_after_backs_off(tmp_path: Path) -> None:
    # The outbox's pace, the same on either backend (no SQL of its own): SQLite only.
    store = await Store.open(str(tmp_path / "m.db"))
    try:
        await _webhook_down(store)
    finally:
        await store.close()


async def _webhook_down(store: Store) -> None:
    tries: list[float] = []
    tried = asyncio.Event()

    async def down(request: web.Request) -> web.Response:
        await request.read()
        tries.append(time.monotonic())
        tried.set()
        return web.Response(status=503, headers={"Retry-After": "1"})

    app = web.Application()
    app.router.add_post("/hook", down)
    stop = asyncio.Event()
    async with aiohttp.ClientSession() as session, serve_app(app) as base:
        config = TypeAdapter(ChannelConfig).validate_python({
            "type": "webhook", "url": base + "/hook", "retry_initial": "1s",
            "retry_max": "1h", "update_delay": "0s",
        })  # fmt: skip
        deliverer = outbox.Deliverer(
            store, build_channels({"desk": config}, session), rng=random.Random(7)
        )
        await _happened(store, HEADLINES[:1], time.time() - 10)
        task = deliverer.start(stop)
        await asyncio.wait_for(tried.wait(), 10)
        await asyncio.sleep(6)
        stop.set()
        await task
    # A growing back-off (1, 2, 4 s) tries 4 times in 6 s at most; the hint alone, 6 or 7.
    assert len(tries) <= 4, f"{len(tries)} tries in 6 s of 503s"


async def test_a_held_channel_with_concurrency_is_probed_after_a_minute(store: Store) -> None:
    clock = Clock()
    stop = asyncio.Event()
    async with aiohttp.ClientSession() as session, telegram_standin() as tg:
        tg.known_chats = set()  # the bot is not in the chat
        tg.delay = 0.2  # the four refusals come back together
        channels = build_channels({"desk": telegram(tg.url, concurrency=4)}, session)
        deliverer = outbox.Deliverer(store, channels, clock=clock)
        for _ in range(4):
            await matched_story(store, rule(channels=["desk"]), ["Kremlin"], time.time())
        task = deliverer.start(stop)
        try:
            async with asyncio.timeout(10):
                while tg.calls < 4:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
            await asyncio.sleep(1.0)
            assert tg.calls == 4
            worker = deliverer._workers["desk"]
            waits = round(worker.paused_until - clock())
            assert waits <= 60, f"next probe in {waits} s"
            tg.known_chats = {CHAT_ID}  # fixed outside the config: no reload
            clock.offset += 61  # the first probe is due a minute after the refusal
            deliverer.wake()
            async with asyncio.timeout(5):
                while not tg.sent:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
        finally:
            stop.set()
            await task
