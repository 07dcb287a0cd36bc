"""review14e D2: the sender role comes back to a node (cluster.runtime._send: the same
Deliverer, its workers' state kept). Meanwhile another node's sender met the outage and left
alerts waiting out a retry's back-off. The first send that works on this node does not make
them due (ChannelWorker._backed_off is still False from its last term): they wait out their
own back-off (up to retry_max, 1 h by default), unlike after a start, which README promises
("Once a send on a channel works again, its alerts that wait out a retry's back-off go out
in the order they happened")."""

from __future__ import annotations

import asyncio
import random
import time

import aiohttp
from pydantic import TypeAdapter
from standins import BOT_TOKEN, CHAT_ID, store_story, telegram_standin

from monitor import outbox
from monitor.channels import build_channels
from monitor.channels.config import ChannelConfig
from monitor.match.config import RuleConfig
from monitor.models import Match, TermHit
from monitor.store import Store
from monitor.store import alerts as rows

RULE = RuleConfig(name="breaking", query="quake", channels=["desk"])


async def _happened(store: Store, title: str, now: float) -> None:
    async with store.transaction() as db:
        story = await store_story(db, title=title, outlets=["Wire"], now=now)
        hits = (TermHit("quake", "quake", "title", 0, 5),)
        match = Match(RULE.name, RULE.severity, tuple(RULE.channels), hits, title)
        await outbox.on_match(db, story=story, match=match, rule=RULE, now=now)


async def _until(tg, n: int, seconds: float) -> None:
    try:
        async with asyncio.timeout(seconds):
            while len(tg.sent) < n:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
    except TimeoutError:
        pass


async def test_a_second_sender_term_makes_the_backed_off_alerts_due(database: str) -> None:
    store = await Store.open(database)
    try:
        async with aiohttp.ClientSession() as session, telegram_standin() as tg:
            cfg = TypeAdapter(ChannelConfig).validate_python(
                {
                    "type": "telegram",
                    "bot_token": BOT_TOKEN,
                    "chat_id": CHAT_ID,
                    "api_base": tg.url,
                    "rate_limit": "off",
                    "update_delay": "0s",
                    "retry_initial": "1s",
                    "retry_max": "1h",
                }
            )
            deliverer = outbox.Deliverer(
                store, build_channels({"desk": cfg}, session), rng=random.Random(7)
            )
            at = time.time() - 100
            # Term 1 on this node: one alert goes out.
            await _happened(store, "Quake one first term", at)
            stop = asyncio.Event()
            task = deliverer.start(stop)
            deliverer.wake()
            await _until(tg, 1, 5)
            stop.set()
            await task
            assert len(tg.sent) == 1
            # Another node's term: the channel was down, two alerts wait out a long back-off.
            await _happened(store, "Quake two other node", at + 10)
            await _happened(store, "Quake three other node", at + 20)
            async with store.transaction() as db:
                ids = [d.alert.id for d in await rows.due(db, "desk", time.time(), 10)]
                await rows.mark_retry(
                    db,
                    ids,
                    now=time.time(),
                    next_attempt=time.time() + 1800,
                    error="channel: telegram desk: Internal Server Error",
                )
            # Term 2 on this node: the channel works again; a new alert goes out...
            await _happened(store, "Quake four second term", at + 30)
            stop = asyncio.Event()
            task = deliverer.start(stop)
            deliverer.wake()
            await _until(tg, 4, 5)
            stop.set()
            await task
        # ... and the two that waited follow it (as after a start), not in half an hour.
        assert len(tg.sent) == 4, [m["text"][:60] for m in tg.sent]
    finally:
        await store.close()
