"""review14e D1: one alert the channel keeps refusing with a transient error (a Bot API 500
for that text only; a webhook receiver answering 500 to one payload) is made due again at
its creation time after every send that works (retry_now) and after every pause
(_hiccup), so it is tried first every time and each of its failures pauses the channel for
its growing back-off: the other alerts trickle out one per failure instead of all at once.
Before a7ea135 (9223d15) all the others go out within a fraction of a second."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import aiohttp
from pydantic import TypeAdapter
from standins import TelegramStandIn, serve_app, store_story, tg_error

from monitor import outbox
from monitor.channels import build_channels
from monitor.channels.config import ChannelConfig
from monitor.match.config import RuleConfig
from monitor.models import Match, TermHit
from monitor.store import Store

RULE = RuleConfig(name="breaking", query="quake", channels=["desk"])
POISON = "Quake POISON headline the chat refuses"
OTHERS = [f"Quake aftershock report number {i}" for i in range(8)]


class Picky(TelegramStandIn):
    def _send(self, params: dict[str, Any]) -> Any:
        if "POISON" in str(params.get("text", "")):
            return tg_error(500, "Internal Server Error")
        return super()._send(params)


async def _happened(store: Store, headlines: list[str], at: float) -> None:
    for i, title in enumerate(headlines):
        now = at + i
        async with store.transaction() as db:
            story = await store_story(db, title=title, outlets=["Wire"], now=now)
            hits = (TermHit("quake", "quake", "title", 0, 5),)
            match = Match(RULE.name, RULE.severity, tuple(RULE.channels), hits, title)
            await outbox.on_match(db, story=story, match=match, rule=RULE, now=now)


async def test_one_refused_alert_does_not_hold_up_the_others(database: str) -> None:
    store = await Store.open(database)
    stop = asyncio.Event()
    tg = Picky()
    try:
        async with aiohttp.ClientSession() as session, serve_app(tg.app()) as url:
            tg.url = url
            from standins import BOT_TOKEN, CHAT_ID

            cfg = TypeAdapter(ChannelConfig).validate_python(
                {
                    "type": "telegram",
                    "bot_token": BOT_TOKEN,
                    "chat_id": CHAT_ID,
                    "api_base": url,
                    "rate_limit": "off",
                    "update_delay": "0s",
                    "retry_initial": "200ms",
                    "retry_max": "3s",
                }
            )
            deliverer = outbox.Deliverer(
                store, build_channels({"desk": cfg}, session), rng=random.Random(7)
            )
            await _happened(store, [POISON, *OTHERS], time.time() - 20)
            task = deliverer.start(stop)
            deliverer.wake()
            started = time.monotonic()
            try:
                async with asyncio.timeout(6):
                    while len(tg.sent) < len(OTHERS):  # noqa: ASYNC110
                        await asyncio.sleep(0.02)
            except TimeoutError:
                pass
            took = time.monotonic() - started
            stop.set()
            await task
        # Before a7ea135: all 8 out in well under a second; on a7ea135 a few in 6 s.
        assert len(tg.sent) == len(OTHERS), (len(tg.sent), round(took, 2), tg.calls)
        assert took < 2.0, took
    finally:
        stop.set()
        await store.close()
