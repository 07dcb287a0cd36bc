"""A task stopped just as what it waits for arrives still stops: on Python 3.11,
``asyncio.wait_for`` drops such a cancellation, and a scheduler or a cluster node that waited
that way ran on after SIGTERM and never exited."""

from __future__ import annotations

import asyncio
import time

import pytest

from monitor.schedule import FeedScheduler
from monitor.waits import wait_event

TICKS = range(6)  # how many loop turns pass between the wake-up and the cancel


async def _stopped(task: asyncio.Task[object]) -> bool:
    done, _ = await asyncio.wait({task}, timeout=1.0)
    if not done:
        task.cancel()  # a second cancel ends it: the test must not hang
    return bool(done)


@pytest.mark.parametrize("ticks", TICKS)
async def test_a_cancel_that_arrives_as_the_event_is_set_stops_the_waiting_loop(
    ticks: int,
) -> None:
    event = asyncio.Event()

    async def loop() -> None:
        while True:
            await wait_event(event, 5.0)
            event.clear()

    task = asyncio.get_running_loop().create_task(loop())
    await asyncio.sleep(0)
    event.set()
    for _ in range(ticks):
        await asyncio.sleep(0)
    task.cancel()
    assert await _stopped(task)


async def test_wait_event_says_whether_the_event_came_or_the_time_ran_out() -> None:
    event = asyncio.Event()
    started = time.monotonic()
    assert await wait_event(event, 0.05) is False
    assert time.monotonic() - started >= 0.04
    asyncio.get_running_loop().call_later(0.01, event.set)
    assert await wait_event(event, 5.0) is True


@pytest.mark.parametrize("ticks", TICKS)
async def test_a_scheduler_shut_down_as_a_poll_ends_stops(ticks: int) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def poll(url: str) -> float:
        started.set()
        await release.wait()
        return time.time() + 60

    scheduler = FeedScheduler(poll, max_polls=4)
    scheduler.schedule_feed("http://127.0.0.1/feed", time.time())
    scheduler.schedule_feed("http://127.0.0.1/later", time.time() + 60)  # the wait is timed
    scheduler.start()
    try:
        await started.wait()
        release.set()  # the poll ends and wakes the dispatcher...
        for _ in range(ticks):
            await asyncio.sleep(0)
        scheduler.shutdown()  # ...just as the daemon stops it
        (dispatcher,) = [t for t in asyncio.all_tasks() if t.get_name() == "monitor-dispatcher"]
        assert await _stopped(dispatcher)
    finally:
        scheduler.shutdown()
