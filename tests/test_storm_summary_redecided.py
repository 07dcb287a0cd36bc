"""A storm summary held by quiet hours (its minute ended inside them) is decided again as any
alert a channel's policy held: at a start or a reload under the config in force, and a
drain (``monitor once``) with quiet hours still on ends at once rather than release it again
and again till its timeout. Over a real SMTP stand-in, on both backends."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from standins import smtp_standin, store_story
from test_alert_rules_fold import quiet_now
from test_outbox_delivery import Clock, email, match_for, rule

from monitor import outbox
from monitor.channels import build_channels
from monitor.store import Store


@pytest.fixture
async def store(database: str) -> AsyncIterator[Store]:
    s = await Store.open(database)
    try:
        yield s
    finally:
        await s.close()


async def _received(smtp: Any, count: int) -> None:
    """Until the SMTP stand-in has ``count`` messages (5 s at most: the assertions say what
    came)."""
    for _ in range(250):
        if len(smtp.received) >= count:
            return
        await asyncio.sleep(0.02)


async def test_a_storm_summary_held_by_quiet_hours_is_decided_again(store: Store) -> None:
    r = rule(channels=["mail"], alert_on="story")
    quiet: dict[str, Any] = {"quiet_hours": quiet_now(), "quiet_override": "high"}
    quiet |= {"timezone": "UTC", "storm_limit": 1}
    async with smtp_standin() as smtp, aiohttp.ClientSession() as session:
        clock = Clock()

        def deliverer(**config: Any) -> outbox.Deliverer:
            channels = build_channels({"mail": email(smtp.port, **config)}, session)
            return outbox.Deliverer(store, channels, clock=clock)

        first = deliverer(**quiet)
        stop = asyncio.Event()
        task = asyncio.create_task(first.run(stop))
        async with store.transaction() as db:
            for i in range(3):  # "high": through quiet hours, but over the storm limit
                story = await store_story(
                    db, title=f"Putin summit number {i}", outlets=["TASS"], now=clock()
                )
                await outbox.on_match(db, story=story, match=match_for(r), rule=r, now=clock())
        first.wake()
        await _received(smtp, 1)
        await asyncio.sleep(0.3)  # a second one, were the other two not folded, comes meanwhile
        assert len(smtp.received) == 1  # one through, two folded into the summary
        clock.offset += 61  # the summary's minute ends in quiet hours: held by them
        first.wake()
        await asyncio.sleep(1.0)
        stop.set()
        await task
        assert len(smtp.received) == 1
        # `monitor once` in quiet hours: the summary stays, and the drain does not wait.
        started = time.monotonic()
        assert not await deliverer(**quiet).drain(8)
        assert time.monotonic() - started < 5
        assert len(smtp.received) == 1
        # A start (or a reload) with quiet hours off: decided again, it goes now.
        again = deliverer(timezone="UTC", storm_limit=1)
        stop = asyncio.Event()
        task = asyncio.create_task(again.run(stop))
        await _received(smtp, 2)
        await asyncio.sleep(0.3)  # room for a third, were it sent more than once
        stop.set()
        await task
    subjects = [str(m["Subject"]) for m in smtp.received]
    assert len(subjects) == 2 and "2 more alerts" in subjects[1], subjects
