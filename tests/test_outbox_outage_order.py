"""review14h D1: an outage that starts while the channel was up puts its first failed alert
in _own_pace for good (the hiccup's retry_now makes it due, it fails again because the
outage goes on). Once the channel works again, the alerts that failed after it are made due
in their order and go first; it waits out its own (longer) back-off and goes last: the
README's order promise after an outage is broken."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from typing import Any

import aiohttp
from pydantic import TypeAdapter
from standins import BOT_TOKEN, CHAT_ID, TelegramStandIn, serve_app, store_story, tg_error

from monitor import outbox
from monitor.channels import build_channels
from monitor.channels.config import ChannelConfig
from monitor.match.config import RuleConfig
from monitor.models import Match, TermHit
from monitor.store import Store

RULE = RuleConfig(name="breaking", query="quake", channels=["desk"])


class Outage(TelegramStandIn):
    down: bool = False
    tried: list[tuple[str, bool]]  # each send tried: its text and whether the API was down

    def _send(self, params: dict[str, Any]) -> Any:
        self.tried.append((str(params.get("text", ""))[:40], self.down))
        if self.down:
            return tg_error(502, "Bad Gateway")
        return super()._send(params)


async def _happened(store: Store, title: str) -> None:
    now = time.time()
    async with store.transaction() as db:
        story = await store_story(db, title=title, outlets=["Wire"], now=now)
        hits = (TermHit("quake", "quake", "title", 0, 5),)
        match = Match(RULE.name, RULE.severity, tuple(RULE.channels), hits, title)
        await outbox.on_match(db, story=story, match=match, rule=RULE, now=now)


async def _until(cond, limit: float) -> None:
    async with asyncio.timeout(limit):
        while not cond():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_first_alert_of_an_outage_goes_first_after_it(database: str) -> None:
    store = await Store.open(database)
    stop = asyncio.Event()
    tg = Outage()
    tg.tried = []
    try:
        async with aiohttp.ClientSession() as session, serve_app(tg.app()) as url:
            tg.url = url
            cfg = TypeAdapter(ChannelConfig).validate_python(
                {
                    "type": "telegram",
                    "bot_token": BOT_TOKEN,
                    "chat_id": CHAT_ID,
                    "api_base": url,
                    "rate_limit": "off",
                    "update_delay": "0s",
                    "retry_initial": "400ms",
                    "retry_max": "8s",
                }
            )
            deliverer = outbox.Deliverer(
                store, build_channels({"desk": cfg}, session), rng=random.Random(3)
            )
            task = deliverer.start(stop)
            await _happened(store, "Quake warm-up alert X")
            deliverer.wake()
            await _until(lambda: len(tg.sent) == 1, 5)  # the channel is up
            tg.down = True  # the outage starts
            await _happened(store, "Quake first AAA of the outage")
            deliverer.wake()
            await _until(lambda: len(tg.tried) >= 3, 5)  # A failed, made due (hiccup), failed
            await _happened(store, "Quake second BBB of the outage")
            await _happened(store, "Quake third CCC of the outage")
            deliverer.wake()
            await _until(lambda: len(tg.tried) >= 4, 8)  # B failed too (C waits its turn)
            tg.down = False  # the outage ends
            with contextlib.suppress(TimeoutError):
                await _until(lambda: len(tg.sent) == 4, 12)
            stop.set()
            await task
        order = [
            ("AAA" if "AAA" in m["text"] else "BBB" if "BBB" in m["text"] else "CCC")
            for m in tg.sent[1:]
        ]
        # The first send that works makes the others due in the order they happened
        # (on a0f6bac: C, B, A: A, in _own_pace since the outage's start, waits its own).
        assert order[1:] == sorted(order[1:]) and len(order) == 3, (order, tg.tried)
    finally:
        stop.set()
        await store.close()
