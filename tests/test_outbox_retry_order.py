"""Telegram fails for a while, then works again: the alerts that waited go out in the order
they happened, not each when its own back-off ends (the oldest, tried most, last). Nothing is
lost or sent twice, and a rate limit's hiccup (a 429 once the channel works) does not put
the alert it hit behind the later ones. The real outbox against the Bot API stand-in on a
local port, on both backends."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from pydantic import TypeAdapter
from standins import (
    BOT_TOKEN,
    CHAT_ID,
    TelegramStandIn,
    store_story,
    telegram_standin,
    tg_error,
)

from monitor import outbox
from monitor.channels import build_channels
from monitor.channels.config import ChannelConfig
from monitor.match.config import RuleConfig
from monitor.models import Match, TermHit
from monitor.store import Store

HEADLINES = [
    "Magnitude 6.1 earthquake shakes northern Chile coast",
    "Dockworkers strike halts Rotterdam container port",
    "Ghana election commission delays presidential results",
    "Unilever agrees merger with Danish brewer Carlsberg",
]
RULE = RuleConfig(name="breaking", query="earthquake OR strike", channels=["desk"])


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


def _desk(url: str, **extra: Any) -> Any:
    data = {
        "type": "telegram", "bot_token": BOT_TOKEN, "chat_id": CHAT_ID, "api_base": url,
        "rate_limit": "off", "update_delay": "0s", **extra,
    }  # fmt: skip
    return TypeAdapter(ChannelConfig).validate_python(data)


async def _happened(store: Store, headlines: list[str], at: float) -> None:
    """One alert per headline, a second apart from ``at`` (the first happened first)."""
    for i, title in enumerate(headlines):
        now = at + i
        async with store.transaction() as db:
            story = await store_story(db, title=title, outlets=["Wire"], now=now)
            hits = (TermHit("quake", "quake", "title", 0, 5),)
            match = Match(RULE.name, RULE.severity, tuple(RULE.channels), hits, title)
            await outbox.on_match(db, story=story, match=match, rule=RULE, now=now)


def _order(tg: TelegramStandIn) -> list[int]:
    """The headlines as the chat shows them, by their place in HEADLINES."""
    return [next(i for i, h in enumerate(HEADLINES) if h in m["text"]) for m in tg.sent]


async def test_after_an_outage_the_waiting_alerts_go_out_in_the_order_they_happened(
    database: str, session: aiohttp.ClientSession
) -> None:
    store = await Store.open(database)
    try:
        async with telegram_standin() as tg:
            # Down for five tries: each alert fails once, the first twice, each with its own
            # back-off; the sixth try (the second alert, due first) works.
            tg.script = [tg_error(500, "Internal Server Error")] * 5
            channels = build_channels(
                {"desk": _desk(tg.url, retry_initial="50ms", retry_max="1s")}, session
            )
            deliverer = outbox.Deliverer(store, channels, rng=random.Random(7))
            await _happened(store, HEADLINES, time.time() - 10)
            assert await deliverer.drain(20)
        # The first to go is the one that found the channel working; the others follow in
        # the order they happened (before: 1, 2, 3, 0, as their back-offs ended).
        assert tg.calls == 5 + 4
        order = _order(tg)
        assert sorted(order) == [0, 1, 2, 3]
        assert order[1:] == sorted(order[1:]), order
        assert order[0] != 0  # the case tried: the oldest waited longest
    finally:
        await store.close()


async def test_a_429_once_the_channel_works_keeps_the_order(
    database: str, session: aiohttp.ClientSession
) -> None:
    store = await Store.open(database)
    stop = asyncio.Event()
    try:
        async with telegram_standin() as tg:
            channels = build_channels(
                {"desk": _desk(tg.url, retry_initial="50ms", retry_max="5s")}, session
            )
            deliverer = outbox.Deliverer(store, channels, rng=random.Random(7))
            task = deliverer.start(stop)
            at = time.time() - 10
            await _happened(store, HEADLINES[:1], at)
            deliverer.wake()
            async with asyncio.timeout(10):
                while len(tg.sent) < 1:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
            # The chat's flood limit: the next message is refused once, with retry_after=1.
            tg.script = [tg_error(429, "Too Many Requests: retry after 1", retry_after=1)]
            await _happened(store, HEADLINES[1:], at + 1)
            deliverer.wake()
            started = time.monotonic()
            async with asyncio.timeout(20):
                while len(tg.sent) < 4:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
            waited = time.monotonic() - started
            stop.set()
            await task
        assert _order(tg) == [0, 1, 2, 3]  # before: 0, 2, 3, 1
        assert tg.calls == 5 and waited >= 0.95  # retry_after honoured, each sent once
    finally:
        stop.set()
        await store.close()


async def test_a_burst_under_a_rate_limit_goes_when_retry_after_says_in_its_order(
    database: str, session: aiohttp.ClientSession
) -> None:
    """Telegram refuses the first two sends with 429 retry_after=1 (the back-off would say
    15-60 s): the alerts go out about 2 s later, the one refused first, first."""
    store = await Store.open(database)
    stop = asyncio.Event()
    try:
        async with telegram_standin() as tg:
            tg.script = [tg_error(429, "Too Many Requests: retry after 1", retry_after=1)] * 2
            channels = build_channels(
                {"desk": _desk(tg.url, retry_initial="30s", retry_max="1h")}, session
            )
            deliverer = outbox.Deliverer(store, channels, rng=random.Random(7))
            await _happened(store, HEADLINES, time.time() - 10)
            started = time.monotonic()
            task = deliverer.start(stop)
            async with asyncio.timeout(12):  # before: the first retry came 15-30 s later
                while len(tg.sent) < len(HEADLINES):  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
            waited = time.monotonic() - started
            stop.set()
            await task
        assert _order(tg) == [0, 1, 2, 3]  # before: 2, 0, 1, 3 (as the pauses ended)
        assert tg.calls == 2 + len(HEADLINES)  # each sent once
        assert 1.95 <= waited < 6, waited  # two pauses of 1 s, plus a little jitter
    finally:
        stop.set()
        await store.close()
