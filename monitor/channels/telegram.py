"""Telegram: the Bot API over aiohttp (https://core.telegram.org/bots/api).

The bot token is part of every request URL, and aiohttp puts the URL into its exception
text; so every network error is caught here and re-raised as a ``ChannelError`` whose
message is written from scratch, with the token masked and no exception chained to it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Sequence
from typing import Any, ClassVar

import aiohttp

from monitor.channels import Channel
from monitor.channels.config import TelegramChannelConfig
from monitor.channels.digest import telegram_digest
from monitor.channels.http import REDIRECTS, redirect_error
from monitor.channels.render import telegram_html
from monitor.errors import ChannelError
from monitor.fetch.failures import client_failure
from monitor.models import Alert

log = logging.getLogger("monitor.channels.telegram")

# 400 answers about the chat, not the message: every alert to it would be refused alike.
_CHAT_REFUSALS = (
    "chat not found",
    "not enough rights",
    "need administrator rights",
    "have no rights to send",
)
# 400 answers to editMessageText that mean the message is out of reach for good: deleted
# ("message to edit not found"), or one the bot may no longer edit ("message can't be edited":
# too old, not the bot's own). The Bot API does not list its error texts; these are the ones
# it gives (https://github.com/TelegramBotAPI/errors). Editing it again cannot work, so the
# update goes as a new message, which the next updates edit.
_GONE = ("message to edit not found", "message can't be edited")
# Answers that mean "the configuration is wrong": retrying the same request cannot help, but
# the alert is not at fault and waits for the config (or the chat) to be fixed.
_CONFIG_HINTS = {
    401: "the bot token is wrong (check bot_token)",
    403: "the bot may not write to this chat (add the bot to it, or unblock it)",
    404: "the bot token is wrong or api_base is not a Bot API server",
}


class TelegramChannel(Channel):
    type: ClassVar[str] = "telegram"
    # sendMessage: "Text of the message to be sent, 1-4096 characters after entities parsing"
    # (https://core.telegram.org/bots/api#sendmessage).
    body_maxlen: ClassVar[int] = 4096
    can_edit: ClassVar[bool] = True
    digest_max: ClassVar[int] = 20  # about 200 characters an entry within 4096

    def __init__(
        self, name: str, config: TelegramChannelConfig, session: aiohttp.ClientSession
    ) -> None:
        super().__init__(name, config)
        self._token = config.bot_token.get_secret_value()
        self._chat_id = config.chat_id
        self._base = config.api_base.rstrip("/")
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=config.timeout)

    def __repr__(self) -> str:
        return f"<TelegramChannel {self.name!r} chat_id={self._chat_id!r} bot_token='***'>"

    @property
    def rate_key(self) -> str:
        # Telegram's limits are per chat (https://core.telegram.org/bots/faq).
        return f"telegram:{self._base}:{self._chat_id}"

    async def _send(self, alert: Alert) -> str | None:
        return await self._send_text(telegram_html(alert, self.body_maxlen))

    async def _send_digest(self, alerts: Sequence[Alert]) -> str | None:
        await self._send_text(telegram_digest(alerts, self.body_maxlen))
        return None  # a digest is not edited: its stories grow separately

    async def _send_text(self, text: str) -> str:
        # https://core.telegram.org/bots/api#sendmessage
        result = await self._call(
            "sendMessage",
            {
                "chat_id": self._chat_id,
                "text": text,
                "parse_mode": "HTML",
                # https://core.telegram.org/bots/api#linkpreviewoptions: off, so the alert
                # itself stays compact and a digest does not preview only its first link.
                "link_preview_options": {"is_disabled": True},
            },
        )
        message_id = result.get("message_id") if isinstance(result, dict) else None
        if message_id is None:
            raise ChannelError(f"telegram {self.name}: sendMessage answered without a message_id")
        return str(message_id)

    async def _edit(self, alert: Alert, external_id: str) -> str | None:
        # https://core.telegram.org/bots/api#editmessagetext
        text = telegram_html(alert, self.body_maxlen)
        try:
            await self._call(
                "editMessageText",
                {
                    "chat_id": self._chat_id,
                    "message_id": int(external_id),
                    "text": text,
                    "parse_mode": "HTML",
                    "link_preview_options": {"is_disabled": True},
                },
            )
        except ChannelError as exc:
            # The same text again is refused with 400 "message is not modified": the
            # message already says what we wanted it to say.
            if "message is not modified" in exc.message:
                return None
            if exc.config or exc.retry_after is not None or not _gone(exc.message):
                raise
            answer = exc.message.partition("editMessageText: ")[2]
        else:
            return None
        # Sent outside the except block, so a failed send has no edit's error chained to it.
        # It is retried with the alert (the edit refused again, at once, then the send); once
        # Telegram gave the new message's id, the outbox records it on the update's row, and
        # the next updates edit that message rather than send another.
        message_id = await self._send_text(text)
        log.warning(
            "telegram %s: message %s cannot be edited (%s); alert %d's update went out as a "
            "new message %s, which its next updates edit",
            self.name, external_id, answer, alert.id, message_id,
        )  # fmt: skip
        return message_id

    async def _call(self, method: str, payload: dict[str, Any]) -> Any:
        """POST a Bot API method; the result, or a ChannelError with the API's own words."""
        url = f"{self._base}/bot{self._token}/{method}"
        failure: str | None = None
        status = 0
        data: Any = None
        location: str | None = None
        try:
            async with self._session.post(
                url,
                json=payload,
                timeout=self._timeout,
                allow_redirects=False,  # see monitor/channels/http.py
            ) as resp:
                status = resp.status
                location = resp.headers.get("Location")
                body = await resp.read()
            if status not in REDIRECTS:
                data = json.loads(body)
        except TimeoutError:
            failure = f"no answer within {self.config.timeout:g}s"
        except aiohttp.ClientError as exc:
            failure = self._mask(client_failure(exc))
        except (ValueError, UnicodeDecodeError):
            failure = f"HTTP {status}: the answer is not Bot API JSON"
        except asyncio.CancelledError:
            raise
        if failure is not None:
            # Raised outside the except block, so no aiohttp exception (with the URL and
            # its token) is chained to it.
            raise ChannelError(f"telegram {self.name}: {method}: {failure}")
        if status in REDIRECTS:
            where = f"telegram {self.name}: {method}"
            raise redirect_error(where, status, self._mask(location or "") or None, self._base)
        return self._result(method, status, data)

    def _result(self, method: str, status: int, data: Any) -> Any:
        # Every answer is {"ok": bool, "result" | "error_code", "description", "parameters"}
        # (https://core.telegram.org/bots/api#making-requests).
        if not isinstance(data, dict):
            raise ChannelError(f"telegram {self.name}: {method}: HTTP {status}, not Bot API JSON")
        if data.get("ok") is True:
            return data.get("result")
        code = int(data.get("error_code") or status or 0)
        description = self._mask(str(data.get("description") or f"HTTP {status}"))
        raw_params = data.get("parameters")
        params: dict[str, Any] = raw_params if isinstance(raw_params, dict) else {}
        where = f"telegram {self.name}: {method}"
        # https://core.telegram.org/bots/api#responseparameters
        retry_after = _seconds(params.get("retry_after"))
        if retry_after is not None:
            raise ChannelError(
                f"{where}: {description} (retry after {retry_after:g}s)",
                retry_after=retry_after,
                rate_limited=True,  # flood control: the only answer that carries retry_after
            )
        if params.get("migrate_to_chat_id") is not None:
            raise ChannelError(
                f"{where}: configuration problem: the group became a supergroup; set chat_id to "
                f"{params['migrate_to_chat_id']}",
                config=True,
            )
        if code in _CONFIG_HINTS or any(p in description.lower() for p in _CHAT_REFUSALS):
            hint = _CONFIG_HINTS.get(code, "check chat_id, and that the bot was added to the chat")
            raise ChannelError(
                f"{where}: configuration problem: {description}; {hint}", config=True
            )
        if code == 429 or code >= 500 or code == 0:
            raise ChannelError(f"{where}: {description}")
        # Any other 4xx is about this request (text, entities): the same request will fail
        # again, so it is not retried.
        raise ChannelError(f"{where}: {description}", permanent=True)

    def _mask(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text


def _gone(message: str) -> bool:
    """Whether an edit's error says the message is out of reach (``_GONE``)."""
    lowered = message.lower()
    return any(words in lowered for words in _GONE)


def _seconds(value: Any) -> float | None:
    """``retry_after`` as a number of seconds, or None when it is not one (the outbox caps it)."""
    try:
        seconds = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None
