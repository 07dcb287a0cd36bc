"""A channel refused for a configuration problem (a wrong bot token, a chat the bot cannot
write to, a refused SMTP login) holds its alerts rather than failing them: they wait in the
outbox and go out once the config is fixed (a reload or a restart builds new channels and a
new deliverer), with what their story gained meanwhile. An alert-specific refusal still
fails. The first refusal is said once, and told to the other channels."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import (
    BOT_TOKEN,
    CHAT_ID,
    smtp_standin,
    store_story,
    telegram_standin,
    tg_error,
    webhook_receiver,
)
from test_events_alerts import ANGLES, publish
from test_outbox_delivery import (
    FAST,
    Clock,
    channel_config,
    email,
    grow,
    match_for,
    matched_story,
    rule,
)

from monitor import outbox
from monitor.channels import build_channels
from monitor.config import Config
from monitor.engine import Engine
from monitor.oneshot import poll_all
from monitor.store import Store


@pytest.fixture
async def store(database: str) -> AsyncIterator[Store]:
    s = await Store.open(database)
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def by_status(store: Store) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = (await outbox.outbox_status(store.db))["by_channel"]
    return counts


async def refusals_recorded(store: Store, count: int) -> None:
    """Wait until ``count`` refusals are in the outbox: the worker reads the clock when it
    records one (a request seen by the stand-in is not yet recorded; moving the clock then
    would date the refusal later, and its next try with it)."""
    async with asyncio.timeout(10):
        while await store.db.fetch_val("SELECT COUNT(*) FROM alert_attempts") < count:  # noqa: ASYNC110
            await asyncio.sleep(0.02)


def telegram(url: str, **extra: Any) -> Any:
    data = {"type": "telegram", "bot_token": BOT_TOKEN, "chat_id": CHAT_ID, "api_base": url}
    return channel_config(**{**data, **FAST, **extra})


# what is wrong, the desk channel's config (broken, then fixed), given the stand-in's URL
TELEGRAM_CASES: list[tuple[str, Callable[[str, bool], Any]]] = [
    ("bot token", lambda url, ok: telegram(url, bot_token=BOT_TOKEN if ok else "1:wrong")),
    ("chat not found", lambda url, ok: telegram(url, chat_id=CHAT_ID if ok else "-100999")),
]


@pytest.mark.parametrize(("wrong", "config"), TELEGRAM_CASES, ids=[c[0] for c in TELEGRAM_CASES])
async def test_telegram_config_problem_holds_the_alert_until_the_config_is_fixed(
    store: Store, session: aiohttp.ClientSession, wrong: str, config: Callable[[str, bool], Any]
) -> None:
    r = rule(channels=["desk"])
    async with telegram_standin() as tg:
        broken = build_channels({"desk": config(tg.url, False)}, session)
        story = await matched_story(store, r, ["Kremlin"], time.time())
        assert not await outbox.Deliverer(store, broken).drain(5)
        assert tg.sent == []
        assert await by_status(store) == {"desk": {"pending": 1}}
        await grow(store, story, ["TASS", "Reuters"], time.time())  # grows while held
        # The operator fixes the config: a reload (or a restart) builds a new deliverer.
        fixed = build_channels({"desk": config(tg.url, True)}, session)
        assert await outbox.Deliverer(store, fixed).drain(5)
    (message,) = tg.sent
    assert "Putin invites Zelensky" in message["text"]
    assert "TASS" in message["text"] and "Reuters" in message["text"]
    assert await by_status(store) == {"desk": {"sent": 1}}


async def test_smtp_login_refused_holds_the_alert_until_the_password_is_fixed(
    store: Store, session: aiohttp.ClientSession
) -> None:
    r = rule(channels=["mail"])
    async with smtp_standin(username="alerts", password="right") as smtp:
        wrong = email(smtp.port, username="alerts", password="wrong")
        await matched_story(store, r, ["Kremlin"], time.time())
        assert not await outbox.Deliverer(store, build_channels({"mail": wrong}, session)).drain(5)
        assert smtp.received == []
        assert await by_status(store) == {"mail": {"pending": 1}}
        right = email(smtp.port, username="alerts", password="right")
        assert await outbox.Deliverer(store, build_channels({"mail": right}, session)).drain(5)
    (msg,) = smtp.received
    assert "Putin invites Zelensky" in str(msg["Subject"])


# Telegram's refusals, and what becomes of the alert: a refusal of the message itself is
# given again whatever the config (failed); one about the chat (the bot lost its rights to
# write there) is fixed outside the alert (held, pending).
REFUSALS = [
    ("entities", tg_error(400, "Bad Request: can't parse entities: unsupported start tag"), "failed"),
    ("too long", tg_error(400, "Bad Request: message is too long"), "failed"),
    ("rights", tg_error(400, "Bad Request: not enough rights to send text messages to the chat"),
     "pending"),
    ("admin", tg_error(400, "Bad Request: need administrator rights in the channel chat"),
     "pending"),
    ("no rights", tg_error(400, "Bad Request: have no rights to send a message"), "pending"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("reply", "status"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
async def test_a_refusal_fails_or_holds_the_alert_by_what_it_is_about(
    store: Store, session: aiohttp.ClientSession, reply: Any, status: str
) -> None:
    r = rule(channels=["desk"])
    async with telegram_standin() as tg:
        tg.script = [reply]
        await matched_story(store, r, ["Kremlin"], time.time())
        deliverer = outbox.Deliverer(store, build_channels({"desk": telegram(tg.url)}, session))
        assert await deliverer.drain(3) is (status == "failed")  # a held alert is left pending
    assert await by_status(store) == {"desk": {status: 1}}


async def test_held_channel_is_said_once_and_told_to_the_other_channels(
    store: Store, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    r = rule(channels=["desk"])
    clock = Clock()
    async with telegram_standin() as tg, webhook_receiver() as hook:
        configs = {
            "desk": telegram(tg.url, bot_token="1:wrong", concurrency=3, expire_after="1h"),
            "hook": channel_config(type="webhook", url=hook.url),
        }
        for n in range(5):
            async with store.transaction() as db:
                story = await store_story(
                    db, title=f"Putin summit story {n}", outlets=["Kremlin"], now=clock(),
                    url=f"https://example.org/{n}",
                )  # fmt: skip
                await outbox.on_match(db, story=story, match=match_for(r), rule=r, now=clock())
        with caplog.at_level(logging.INFO, logger="monitor.outbox"):
            deliverer = outbox.Deliverer(
                store, build_channels(configs, session), clock=clock, health_channels=["hook"]
            )
            assert not await deliverer.drain(5)
        errors = [rec.getMessage() for rec in caplog.records if rec.levelno >= logging.ERROR]
        assert len(errors) == 1, errors
        assert "wait in the outbox until the config is fixed" in errors[0]
        assert "bot token is wrong" in errors[0] and "1:wrong" not in errors[0]
        (told,) = hook.payloads()
        assert told["alert"]["kind"] == "health" and "desk" in told["alert"]["title"]
        assert (await by_status(store))["desk"] == {"pending": 5}
        # Two more runs (``monitor once`` from cron, a restart): the channel is still held,
        # and the health channel is not told again.
        for _ in range(2):
            again = outbox.Deliverer(
                store, build_channels(configs, session), clock=clock, health_channels=["hook"]
            )
            assert not await again.drain(3)
        assert len(hook.payloads()) == 1
        assert (await by_status(store))["desk"] == {"pending": 5}
        # Held, not forever: the alerts still expire by the channel's rule.
        clock.offset += 3601
        assert await deliverer.drain(2)
    assert (await by_status(store))["desk"] == {"expired": 5}


async def test_a_reload_that_fixes_the_token_sends_what_waited_with_its_growth(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """The explorer's case, through the daemon's engine: a wrong token, the story grows
    meanwhile, the operator fixes the token and reloads (SIGHUP): one message, grown."""
    urls = publish(feed_server, 1)
    async with telegram_standin() as tg:

        def config(token: str) -> Config:
            extra = (
                '[[rules]]\nname = "peace-talks"\nquery = "Putin OR Zelensky"\n'
                'channels = ["desk"]\n[channels.desk]\ntype = "telegram"\n'
                f'bot_token = "{token}"\nchat_id = "{CHAT_ID}"\napi_base = "{tg.url}"\n'
                'rate_limit = "off"\nupdate_delay = "0s"\n'
            )
            return make_config(tmp_path, urls, extra=extra)

        engine = await Engine.open(config("1:wrong"))
        try:
            engine.start_delivery()
            await poll_all(engine.rt, progress=False)
            publish(feed_server, len(ANGLES))
            await poll_all(engine.rt, progress=False)
            await asyncio.sleep(0.5)
            assert tg.sent == [] and tg.calls >= 1
            assert await by_status(engine.store) == {"desk": {"pending": 1}}
            await engine.reload(config(BOT_TOKEN))  # new channels: a new running deliverer
            for _ in range(400):
                if tg.sent:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)  # nothing more comes (one message, not one per angle)
        finally:
            await engine.close()
    (message,) = tg.sent
    assert f"{len(ANGLES)} outlets, {len(ANGLES)} angles" in message["text"]


async def test_a_channel_not_among_the_health_channels_is_not_told(
    store: Store, session: aiohttp.ClientSession
) -> None:
    """``[monitor] health_channels`` is where the monitor's own news goes: a public channel
    or a customer's webhook gets no "cannot deliver" alert (nor the error text in it)."""
    r = rule(channels=["desk"])
    async with telegram_standin() as tg, webhook_receiver() as hook:
        configs = {
            "desk": telegram(tg.url, bot_token="1:wrong"),
            "public": channel_config(type="webhook", url=hook.url),
        }
        await matched_story(store, r, ["Kremlin"], time.time())
        assert not await outbox.Deliverer(store, build_channels(configs, session)).drain(3)
        assert hook.payloads() == []
    assert (await by_status(store))["desk"] == {"pending": 1}


async def test_a_reload_sends_what_waited_when_the_fix_was_outside_the_config(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """The bot was added to its chat (nothing in the config changed): a reload (SIGHUP)
    sends what waited, without waiting for the next probe."""
    urls = publish(feed_server, 1)
    async with telegram_standin() as tg:
        tg.known_chats = set()  # the bot is not in the chat yet
        extra = (
            '[[rules]]\nname = "peace-talks"\nquery = "Putin OR Zelensky"\n'
            'channels = ["desk"]\n[channels.desk]\ntype = "telegram"\n'
            f'bot_token = "{BOT_TOKEN}"\nchat_id = "{CHAT_ID}"\napi_base = "{tg.url}"\n'
            'rate_limit = "off"\n'
        )
        config = make_config(tmp_path, urls, extra=extra)
        engine = await Engine.open(config)
        try:
            engine.start_delivery()
            await poll_all(engine.rt, progress=False)
            for _ in range(200):
                if tg.calls:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
            assert tg.sent == [] and await by_status(engine.store) == {"desk": {"pending": 1}}
            tg.known_chats = {CHAT_ID}  # the operator adds the bot to the chat
            await engine.reload(config)
            for _ in range(200):
                if tg.sent:
                    break
                await asyncio.sleep(0.05)
        finally:
            await engine.close()
    assert len(tg.sent) == 1


async def test_the_health_channels_hear_the_all_clear_in_a_later_run(
    store: Store, session: aiohttp.ClientSession
) -> None:
    """Held in one run (``monitor once`` from cron), delivered in the next once the token is
    fixed: the health channel hears "cannot deliver", then "delivers again", once each."""
    r = rule(channels=["desk"])
    async with telegram_standin() as tg, webhook_receiver() as hook:
        hook_config = channel_config(type="webhook", url=hook.url)
        await matched_story(store, r, ["Kremlin"], time.time())
        for token, delivered in (("1:wrong", False), (BOT_TOKEN, True)):
            channels = build_channels({"desk": telegram(tg.url, bot_token=token),
                                       "ops": hook_config}, session)  # fmt: skip
            deliverer = outbox.Deliverer(store, channels, health_channels=["ops"])
            assert await deliverer.drain(3) is delivered
        assert len(tg.sent) == 1
        said = [p["alert"]["extra"].get("health") for p in hook.payloads()]
    assert said == ["held", "released"]


async def test_a_chat_fixed_outside_the_config_gets_what_waited_within_minutes(
    store: Store, session: aiohttp.ClientSession
) -> None:
    """The bot is added to its chat and nobody reloads: the held alert is tried again a
    minute later (then less often), not only after 15 minutes. The clock is moved forward."""
    clock = Clock()
    stop = asyncio.Event()
    async with telegram_standin() as tg:
        tg.known_chats = set()  # the bot is not in the chat yet
        deliverer = outbox.Deliverer(store, build_channels({"desk": telegram(tg.url)}, session),
                                     clock=clock)  # fmt: skip
        await matched_story(store, rule(channels=["desk"]), ["Kremlin"], clock())
        task = deliverer.start(stop)
        try:
            await refusals_recorded(store, 1)  # the clock moves once the refusal is in
            clock.offset += 30  # half a minute: not tried again yet
            deliverer.wake()
            await asyncio.sleep(0.5)
            assert tg.calls == 1 and tg.sent == []
            clock.offset += 31  # a minute: tried again (before: paused for 15 minutes)
            deliverer.wake()
            await refusals_recorded(store, 2)
            clock.offset += 61  # refused again: the next try two minutes later, not one
            deliverer.wake()
            await asyncio.sleep(0.5)
            assert tg.calls == 2 and tg.sent == []
            tg.known_chats = {CHAT_ID}  # the operator adds the bot to the chat
            clock.offset += 60
            deliverer.wake()
            async with asyncio.timeout(10):
                while not tg.sent:  # noqa: ASYNC110
                    await asyncio.sleep(0.02)
        finally:
            stop.set()
            await task
    assert tg.calls == 3
    assert await by_status(store) == {"desk": {"sent": 1}}


async def test_monitor_once_does_not_wait_for_the_next_try_of_a_held_channel(
    store: Store, session: aiohttp.ClientSession
) -> None:
    """A drain (``monitor once``, 60 s) with a chat the bot is not in ends once the rest is
    out: it does not sit out the minute until the held alert is tried again."""
    async with telegram_standin() as tg:
        tg.known_chats = set()
        await matched_story(store, rule(channels=["desk"]), ["Kremlin"], time.time())
        started = time.monotonic()
        deliverer = outbox.Deliverer(store, build_channels({"desk": telegram(tg.url)}, session))
        assert not await deliverer.drain(90)
        took = time.monotonic() - started
    assert tg.calls == 1 and took < 10, took
    assert await by_status(store) == {"desk": {"pending": 1}}
