"""A Telegram message the bot can no longer edit (the reader deleted it, or Telegram refuses
edits of it) does not swallow its event's later angles: the update goes as a new message, and
the updates after it edit that one. Through the real pipeline: local feeds and the Bot API
stand-in, which answers as Telegram does."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, TelegramStandIn, telegram_standin, tg_error
from test_alert_updates import FIRST, LATER, MORE, publish

from monitor.engine import Engine
from monitor.oneshot import poll_all

DESK = f"""
[[rules]]
name = "peace-talks"
query = 'Putin OR Zelensky'
channels = ["desk"]
alert_on = "event"

[channels.desk]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
rate_limit = "off"
update_delay = "0s"
"""


def _deleted(tg: TelegramStandIn, message_id: int) -> None:
    tg.delete(message_id)


def _too_old(tg: TelegramStandIn, message_id: int) -> None:
    tg.uneditable.add(message_id)


def _deleted_then_limited(tg: TelegramStandIn, message_id: int) -> None:
    """Deleted, and the new message is refused once for the chat's flood limit."""
    tg.delete(message_id)
    tg.script = [
        tg_error(400, "Bad Request: message to edit not found"),
        tg_error(429, "Too Many Requests: retry after 1", retry_after=1),
    ]


@pytest.mark.parametrize(("gone", "answer"), [
    (_deleted, "message to edit not found"),
    (_too_old, "message can't be edited"),
    (_deleted_then_limited, "message to edit not found"),  # sent once when it works
])  # fmt: skip
async def test_an_update_of_a_message_gone_goes_as_a_new_message_that_later_updates_edit(
    feed_server: FeedServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    gone: Callable[[TelegramStandIn, int], None],
    answer: str,
) -> None:
    urls = publish(feed_server, [FIRST] + [""] * (len(LATER) + len(MORE)))
    async with telegram_standin() as tg:
        config = make_config(tmp_path, urls, extra=DESK + f'api_base = "{tg.url}"\n')
        engine = await Engine.open(config)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            [first] = tg.sent
            gone(tg, first["message_id"])
            publish(feed_server, [FIRST, *LATER])
            with caplog.at_level(logging.WARNING):
                await poll_all(engine.rt, progress=False)
                assert await engine.drain(20)
            # The new angles reach the reader, in a message of their own.
            assert len(tg.sent) == 2, [m["text"][:60] for m in tg.sent]
            second = tg.sent[1]
            assert all(h in second["text"] for h in LATER), second["text"]
            assert FIRST in second["text"]  # what it follows
            said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
            assert len([line for line in said if answer in line]) == 1, said
            assert not [r for r in caplog.records if r.levelno >= logging.ERROR], said
            caplog.clear()
            publish(feed_server, [FIRST, *LATER, *MORE])
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    # The next angles edit that new message: no third message, no edit of the one gone.
    assert len(tg.sent) == 2
    shown = tg.messages[second["message_id"]]
    assert all(h in shown for h in MORE), shown
    assert {int(e["message_id"]) for e in tg.edits} == {second["message_id"]}
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_a_slow_api_does_not_double_the_new_message(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """An update of a deleted message costs two requests (the refused edit, then the new
    message), each within the channel's timeout: the guard of one request's timeout (+5 s)
    cancelled the new message after Telegram took it, and the retry sent it again
    (review18d: 3 messages; timeout 6 s, each answer 5.6 s)."""
    urls = publish(feed_server, [FIRST] + [""] * (len(LATER) + len(MORE)))
    slow = DESK + 'timeout = "6s"\nretry_initial = "1s"\nretry_max = "2s"\n'
    async with telegram_standin() as tg:
        config = make_config(tmp_path, urls, extra=slow + f'api_base = "{tg.url}"\n')
        engine = await Engine.open(config)
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            [first] = tg.sent
            tg.delete(first["message_id"])  # the reader deletes it
            publish(feed_server, [FIRST, *LATER])
            tg.delay = 5.6  # Telegram is slow: each answer within the 6 s timeout
            await poll_all(engine.rt, progress=False)

            async def fast_again() -> None:
                await asyncio.sleep(12.5)  # past the one-request guard (11 s)
                tg.delay = 0.0

            speedup = asyncio.create_task(fast_again())
            assert await engine.drain(40)
            speedup.cancel()  # all sent (a second message would have come by the drain's end)
            with contextlib.suppress(asyncio.CancelledError):
                await speedup
        finally:
            await engine.close()
    assert len(tg.sent) == 2, [(m["message_id"], m["text"][:50]) for m in tg.sent]
