"""The record of a send when the store is away right after the channel answered: PostgreSQL
restarting, failing over, or dropping the connection. The message is out already: the record
is made once the store is back, and the user gets the message once."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from pydantic import TypeAdapter
from standins import WebhookReceiver, serve_app, webhook_receiver

from monitor.channels import build_channels
from monitor.channels.config import ChannelConfig
from monitor.models import Alert
from monitor.outbox import Deliverer, worker
from monitor.store import Store
from monitor.store import alerts as alert_rows

FAST = {"retry_initial": "20ms", "retry_max": "100ms", "rate_limit": "off"}


@asynccontextmanager
async def _admin(url: str) -> AsyncIterator[Any]:
    """A connection to the cluster's own database, to take the test's database away."""
    parts = urlsplit(url)
    conn = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
    try:
        yield conn
    finally:
        await conn.close()


async def _outage(url: str, seconds: float) -> asyncio.Task[None]:
    """The test's database refuses connections and drops those open, for ``seconds``: what a
    restart or a failover looks like to the store."""
    name = urlsplit(url).path.lstrip("/")
    async with _admin(url) as admin:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
        )

    async def back() -> None:
        await asyncio.sleep(seconds)
        async with _admin(url) as admin:
            await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')

    return asyncio.create_task(back())


def _after_first_answer(work: Callable[[], Awaitable[None]]) -> Any:
    """A middleware that runs ``work`` once the first request was answered, before the
    answer goes back: the message is out, its record not made yet."""
    done = asyncio.Event()

    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        if not done.is_set():
            done.set()
            await work()
        return response  # type: ignore[no-any-return]

    return middleware


async def _recorded(url: str, *, within: float) -> bool:
    """Whether the alert is recorded sent within ``within`` seconds (the store may be away)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            conn = await asyncpg.connect(url)
        except (OSError, asyncpg.PostgresError):
            await asyncio.sleep(0.1)
            continue
        try:
            status = await conn.fetchval("SELECT status FROM alerts WHERE dedup_key = 'new:1:r'")
            if status == alert_rows.SENT:
                return True
        except (asyncpg.PostgresError, asyncpg.InterfaceError):
            pass  # this connection was one the outage dropped: ask again
        finally:
            conn.terminate()
        await asyncio.sleep(0.1)
    return False


async def _one_alert_due(store: Store) -> None:
    """One story and its alert, due on channel c0."""
    async with store.transaction() as db:
        await db.execute(
            "INSERT INTO stories (id, title, first_seen, last_seen, outlets)"
            " VALUES (1, 'z', 0, 0, 1)"
        )
        alert = Alert(id=0, channel="c0", kind="new", title="Zorblat shares jump", rule="r",
                      story_id=1, outlets=("One",))  # fmt: skip
        assert await alert_rows.insert(db, alert, dedup_key="new:1:r", now=time.time() - 1)


@dataclass
class _Sending:
    """A deliverer of one due alert to a webhook; the store goes away for ``down`` seconds
    once the webhook answered (the message is out, its record not made yet)."""

    stop: asyncio.Event
    running: asyncio.Task[None]
    receiver: WebhookReceiver
    away: asyncio.Event  # set once the store went away
    ended: list[asyncio.Task[None]]  # the outage's end, once it began


@asynccontextmanager
async def _sending_into_an_outage(
    store: Store, pg_url: str, down: float
) -> AsyncIterator[_Sending]:
    await _one_alert_due(store)
    away, ended = asyncio.Event(), []

    async def go_away() -> None:
        ended.append(await _outage(pg_url, down))
        away.set()

    try:
        async with aiohttp.ClientSession() as session, webhook_receiver() as receiver:
            app = receiver.app()
            app.middlewares.append(_after_first_answer(go_away))
            async with serve_app(app) as url:
                config = TypeAdapter(ChannelConfig).validate_python(
                    {**FAST, "type": "webhook", "url": url + "/hook/s3cr3t-path"}
                )
                deliverer = Deliverer(store, build_channels({"c0": config}, session))
                stop = asyncio.Event()
                running = asyncio.create_task(deliverer.run(stop))
                try:
                    yield _Sending(stop, running, receiver, away, ended)
                finally:
                    stop.set()
                    await running
    finally:
        for task in ended:
            await task


@pytest.mark.parametrize("down", [0.5, 2.0])
async def test_a_store_away_after_a_send_does_not_send_it_twice(
    pg_url: str, down: float, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ... and the log says it once when it begins and once when it ends (it said it at every
    # try, every 5 s while it lasted). However long the outage: the record was given up after
    # RECORD_FOR (a minute), and the alert sent again at every try while a disk stayed full;
    # made shorter than the outage here (it is gone now) so that the test need not wait.
    monkeypatch.setattr(worker, "RECORD_FOR", down / 2, raising=False)
    caplog.set_level(logging.INFO, logger="monitor")
    store = await Store.open(pg_url)
    try:
        async with _sending_into_an_outage(store, pg_url, down) as sending:
            # Recorded once the store is back; a worker that gave up would read it pending
            # and send it again before it is.
            assert await _recorded(pg_url, within=30.0)
            await asyncio.sleep(0.5)
        titles = [p["alert"]["title"] for p in sending.receiver.payloads()]
        assert titles == ["Zorblat shares jump"], titles
        said = [(r.levelname, r.getMessage()) for r in caplog.records if "record" in r.getMessage()]
        assert [level for level, _ in said] == ["WARNING", "INFO"], said
        assert said[0][1].startswith("c0: recording alert [1] sent failed"), said
        assert re.fullmatch(
            r"c0: sends are recorded again after \d+s; \d+ tr(y|ies) failed meanwhile, 1 alert"
            r" waited for it", said[1][1],
        ), said  # fmt: skip
    finally:
        await store.close()


async def test_a_record_refused_on_a_constraint_is_not_retried(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A record the database refuses on a constraint is a bug, not an outage: the worker says
    so at once rather than hold the channel up retrying it for a minute."""
    store = await Store.open(pg_url)
    try:
        await _one_alert_due(store)
        conn = await asyncpg.connect(pg_url)
        try:  # the bug: a constraint every record of a send breaks
            await conn.execute(
                "ALTER TABLE alerts ADD CONSTRAINT never_sent CHECK (status <> 'sent') NOT VALID"
            )
        finally:
            await conn.close()
        async with aiohttp.ClientSession() as session, webhook_receiver() as receiver:
            config = TypeAdapter(ChannelConfig).validate_python(
                {**FAST, "type": "webhook", "url": receiver.url}
            )
            deliverer = Deliverer(store, build_channels({"c0": config}, session))
            stop = asyncio.Event()
            running = asyncio.create_task(deliverer.run(stop))
            try:
                for _ in range(100):
                    if any(r.levelname == "ERROR" for r in caplog.records):
                        break
                    await asyncio.sleep(0.05)
            finally:
                stop.set()
                await running
        errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
        retried = [r.getMessage() for r in caplog.records if "trying again" in r.getMessage()]
        assert errors and "never_sent" in errors[0] and retried == [], (errors, retried)
    finally:
        await store.close()


async def test_a_stop_while_the_store_is_away_ends_the_wait_for_the_record(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record waits for the store however long it is away, but not long past a stop
    (RECORD_STOP_GRACE, 8 s, made 1 s here: a cluster's term ends with the outage itself, so
    a record is not given up at once): the daemon stops, and the alert, pending, goes at
    the next start, as after a crash."""
    monkeypatch.setattr(worker, "RECORD_STOP_GRACE", 1.0)
    store = await Store.open(pg_url)
    try:
        async with _sending_into_an_outage(store, pg_url, 3.5) as sending:
            await asyncio.wait_for(sending.away.wait(), 30)
            await asyncio.sleep(0.5)  # the record is failing now
            sending.stop.set()
            started = time.monotonic()
            await asyncio.wait_for(asyncio.shield(sending.running), 10)
            stopped_in = time.monotonic() - started
            assert stopped_in < 2.5, stopped_in  # the grace (1 s), not the outage (3.5 s)
            await sending.ended[0]  # the store is back
            assert not await _recorded(pg_url, within=0.5)  # the alert is still pending
    finally:
        await store.close()
