"""What a channel's server says is not taken on trust (issue 13, part 6): a Retry-After of
ten years waits at most ``retry_max``; an alert past ``expire_after`` expires even while it
waits for a far retry; a redirect is not followed (the signed body would go wherever it
points); a feed redirect to another origin does not carry the URL's credentials."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from pydantic import TypeAdapter
from standins import (
    BOT_TOKEN,
    CHAT_ID,
    serve_app,
    store_story,
    telegram_standin,
    tg_error,
)

from monitor import outbox
from monitor.channels import build_channels
from monitor.channels.config import ChannelConfig
from monitor.fetch import Fetcher, FetchLimits
from monitor.match.config import RuleConfig
from monitor.models import Match, TermHit
from monitor.store import Store

TEN_YEARS = 10 * 365 * 86400
RULE = RuleConfig(name="peace-talks", query="Putin AND summit", channels=["desk"])
MATCH = Match(
    "peace-talks",
    "normal",
    ("desk",),
    (TermHit("Putin", "Putin", "title", 0, 5),),
    "Putin invited Zelensky to a summit",
)


class Clock:
    """Real time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def channel(kind: str, url: str, **extra: Any) -> Any:
    data: dict[str, Any] = {"rate_limit": "off", "update_delay": "0s", **extra}
    if kind == "telegram":
        data |= {"type": "telegram", "bot_token": BOT_TOKEN, "chat_id": CHAT_ID, "api_base": url}
    else:
        data |= {"type": "webhook", "url": url}
    return TypeAdapter(ChannelConfig).validate_python(data)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    s = await Store.open(tmp_path / "monitor.db")
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def one_alert(store: Store, now: float) -> None:
    async with store.transaction() as db:
        story = await store_story(db, title="Putin invites Zelensky to a summit", outlets=["TASS"],
                                  now=now)  # fmt: skip
        await outbox.on_match(db, story=story, match=MATCH, rule=RULE, now=now)


async def alert_row(store: Store) -> dict[str, Any]:
    async with store.db.raw.execute(
        "SELECT status, attempts, next_attempt, last_error FROM alerts ORDER BY id LIMIT 1"
    ) as cur:
        row = await cur.fetchone()
    assert row is not None
    return dict(zip(("status", "attempts", "next_attempt", "last_error"), row, strict=True))


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def webhook_503(seconds_or_date: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A hook that answers 503 with this Retry-After once, then takes every alert."""
    answered: list[int] = []

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        if not answered:
            answered.append(503)
            return web.Response(status=503, headers={"Retry-After": seconds_or_date})
        answered.append(200)
        return web.json_response({"ok": True})

    return handle


FAR_DATE = format_datetime(datetime(2036, 1, 1, tzinfo=UTC), usegmt=True)


@pytest.mark.parametrize(
    ("kind", "hint"),
    [
        ("webhook", str(TEN_YEARS)),  # delay-seconds
        ("webhook", FAR_DATE),  # an HTTP-date
        ("telegram", TEN_YEARS),  # ResponseParameters.retry_after
    ],
)
async def test_a_far_retry_hint_waits_at_most_retry_max(
    store: Store, session: aiohttp.ClientSession, kind: str, hint: Any
) -> None:
    await one_alert(store, time.time())
    if kind == "telegram":
        async with telegram_standin() as tg:
            tg.script = [tg_error(429, "Too Many Requests", retry_after=hint)]
            config = channel(kind, tg.url, retry_initial="100ms", retry_max="300ms")
            delivered = await outbox.Deliverer(
                store, build_channels({"desk": config}, session)
            ).drain(8)
            assert len(tg.sent) == 1
    else:
        app = web.Application()
        app.router.add_post("/hook", webhook_503(hint))
        async with serve_app(app) as url:
            config = channel(kind, url + "/hook", retry_initial="100ms", retry_max="300ms")
            delivered = await outbox.Deliverer(
                store, build_channels({"desk": config}, session)
            ).drain(8)
    # Delivered on the retry retry_max later, not parked until 2036.
    assert delivered
    assert (await alert_row(store))["status"] == "sent"


@pytest.mark.parametrize(
    ("kind", "hint"),
    [("webhook", "0"), ("telegram", 0), ("telegram", -5), ("telegram", 0.001)],
)
async def test_a_zero_retry_hint_does_not_make_a_retry_loop(
    store: Store, session: aiohttp.ClientSession, kind: str, hint: Any
) -> None:
    """A service that always answers "busy, retry after 0 s" (or less) was retried at once,
    again and again: a loop of requests and of attempt rows for as long as it said so. The
    hint is a floor, not a licence to skip the backoff."""
    await one_alert(store, time.time())
    calls: list[int] = []
    first = asyncio.Event()

    async def busy(request: web.Request) -> web.Response:
        calls.append(1)
        first.set()
        if kind == "telegram":
            return web.json_response(tg_error(429, "Too Many Requests", retry_after=hint)[1],
                                     status=429)  # fmt: skip
        return web.Response(status=503, headers={"Retry-After": hint})

    app = web.Application()
    app.router.add_post("/{path:.*}", busy)
    async with serve_app(app) as url:
        config = channel(kind, url + "/hook", retry_initial="1s", retry_max="1h")
        deliverer = outbox.Deliverer(store, build_channels({"desk": config}, session))
        stop = asyncio.Event()
        task = asyncio.create_task(deliverer.run(stop))
        await asyncio.wait_for(first.wait(), 30)
        await asyncio.sleep(0.5)  # after the first try: a loop fills this with requests
        stop.set()
        await task
    # The first try, and the retries one backoff (0.5 to 1 s) apart at most.
    assert 1 <= len(calls) <= 3, len(calls)
    assert (await alert_row(store))["status"] == "pending"


async def test_an_alert_past_expire_after_expires_while_parked_by_a_far_retry(
    store: Store, session: aiohttp.ClientSession
) -> None:
    clock = Clock()
    await one_alert(store, clock())
    async with telegram_standin() as tg:
        tg.script = [tg_error(429, "Too Many Requests", retry_after=TEN_YEARS)] * 5
        # retry_max allows the far hint: only expiry can end the wait.
        config = channel("telegram", tg.url, retry_max="5000d", expire_after="1h")
        deliverer = outbox.Deliverer(store, build_channels({"desk": config}, session), clock=clock)
        stop = asyncio.Event()
        task = asyncio.create_task(deliverer.run(stop))
        try:
            await until(lambda: _attempted(store))
            assert (await alert_row(store))["next_attempt"] > clock() + 365 * 86400
            clock.offset += 2 * 3600
            deliverer.wake()
            await until(lambda: _status_is(store, "expired"))
        finally:
            stop.set()
            await task
    report = await outbox.outbox_status(store.db, ["desk"])
    assert report["by_channel"]["desk"] == {"expired": 1}
    assert "expired: not delivered within 1h" in report["failed"][0]["last_error"]


async def _attempted(store: Store) -> bool:
    return int((await alert_row(store))["attempts"]) >= 1


async def _status_is(store: Store, status: str) -> bool:
    return (await alert_row(store))["status"] == status


class Elsewhere:
    """The server a redirect points to: it records every request that reaches it."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, bytes]] = []

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path, await request.read()))
        return web.json_response({"ok": True, "result": {"message_id": 1}})


@pytest.mark.parametrize("kind", ["webhook", "telegram"])
@pytest.mark.parametrize("status", [307, 308, 302])
async def test_a_channel_does_not_follow_a_redirect(
    store: Store, session: aiohttp.ClientSession, kind: str, status: int
) -> None:
    elsewhere = Elsewhere()
    async with serve_app(elsewhere.app()) as other:

        async def redirect(request: web.Request) -> web.Response:
            await request.read()
            return web.Response(status=status, headers={"Location": other + request.path})

        app = web.Application()
        app.router.add_post("/{path:.*}", redirect)
        async with serve_app(app) as url:
            base = url if kind == "telegram" else url + "/hook/s3cr3t-path"
            config = channel(kind, base, retry_initial="1h", retry_max="1h")
            await one_alert(store, time.time())
            await outbox.Deliverer(store, build_channels({"desk": config}, session)).drain(2)
    assert elsewhere.requests == []  # the body (and its signature, or the token) went nowhere
    row = await alert_row(store)
    assert row["status"] == "pending"  # kept until the address is corrected
    error = row["last_error"]
    assert f"redirected (HTTP {status}) to {other}/…" in error
    assert "s3cr3t-path" not in error and BOT_TOKEN not in error


@pytest.mark.parametrize(
    ("location", "carries"),
    [
        ("{other}/feed", False),  # another port: another origin
        ("//{other_host}/feed", False),  # scheme-relative
        ("{other_named}/feed", False),  # the same address by another host name
        ("/moved", True),  # the same origin keeps the feed's credentials
    ],
)
async def test_a_feed_redirect_to_another_origin_drops_the_url_credentials(
    location: str, carries: bool
) -> None:
    seen: list[tuple[str, str | None]] = []
    feed = b"<rss version='2.0'><channel><title>t</title></channel></rss>"

    async def record(request: web.Request) -> web.Response:
        seen.append((f"{request.host}{request.path}", request.headers.get("Authorization")))
        if request.path == "/feed" and request.url.port == first_port:
            return web.Response(status=302, headers={"Location": target})
        return web.Response(body=feed, content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/{path:.*}", record)
    async with serve_app(app) as first, serve_app(app) as other:
        first_port = int(first.rsplit(":", 1)[1])
        other_host = other.removeprefix("http://")
        target = location.format(
            other=other, other_host=other_host, other_named=other.replace("127.0.0.1", "localhost")
        )
        fetcher = Fetcher(FetchLimits(), "monitor-test")
        try:
            result = await fetcher.fetch(
                f"http://reader:hunter22@{first.removeprefix('http://')}/feed"
            )
        finally:
            await fetcher.close()
    assert result.status == 200 and len(seen) == 2
    assert seen[0][1] is not None  # the feed's own server got its credentials
    assert (seen[1][1] is not None) is carries
