"""channels: where alerts go (telegram, email, webhook, console).

A channel turns one ``Alert`` (or a digest of several) into one message. It declares its
limits as class attributes, raises ``ChannelError`` (``permanent``, ``retry_after``) when it
cannot deliver, and its ``repr`` never shows a secret. Retries, rate limits, quiet hours and
digests are the outbox's business (``monitor/outbox.py``), not the channel's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

import aiohttp

from monitor.channels.config import (
    ChannelConfig,
    ConsoleChannelConfig,
    DeliveryConfig,
    EmailChannelConfig,
    TelegramChannelConfig,
    WebhookChannelConfig,
)
from monitor.errors import ChannelError
from monitor.models import Alert

__all__ = ["Channel", "ChannelError", "build_channel", "build_channels"]


class Channel:
    """Base of every channel. Subclasses implement ``send`` (and ``edit`` when ``can_edit``)."""

    type: ClassVar[str] = "channel"
    body_maxlen: ClassVar[int] = 32768  # the longest body the service accepts
    title_maxlen: ClassVar[int] = 250
    can_edit: ClassVar[bool] = False  # a sent message can be updated in place
    digest_max: ClassVar[int] = 50  # the most alerts put into one digest message

    def __init__(self, name: str, config: DeliveryConfig) -> None:
        self.name = name
        self.config = config

    @property
    def rate_key(self) -> str:
        """Channels with the same key share one rate limit (the same chat, the same server)."""
        return f"{self.type}:{self.name}"

    async def send(self, alert: Alert) -> str | None:
        """Deliver one alert; return its external id (e.g. a Telegram message_id) when the
        message can later be edited, else None."""
        raise NotImplementedError

    async def send_digest(self, alerts: Sequence[Alert]) -> str | None:
        """Deliver several alerts as one message. The default sends them one by one."""
        for alert in alerts:
            await self.send(alert)
        return None

    async def edit(self, alert: Alert, external_id: str) -> None:
        """Replace the message ``external_id`` with ``alert`` (only when ``can_edit``)."""
        raise ChannelError(f"{self.name}: a {self.type} channel cannot edit messages")

    async def close(self) -> None:
        """Release what the channel holds (nothing by default)."""

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} {self.name!r}>"


def build_channel(name: str, config: ChannelConfig, session: aiohttp.ClientSession) -> Channel:
    """The channel for one ``[channels.NAME]`` section."""
    # Imported here: each module pulls in its own client library.
    if isinstance(config, TelegramChannelConfig):
        from monitor.channels.telegram import TelegramChannel

        return TelegramChannel(name, config, session)
    if isinstance(config, EmailChannelConfig):
        from monitor.channels.email import EmailChannel

        return EmailChannel(name, config)
    if isinstance(config, WebhookChannelConfig):
        from monitor.channels.webhook import WebhookChannel

        return WebhookChannel(name, config, session)
    if isinstance(config, ConsoleChannelConfig):
        from monitor.channels.console import ConsoleChannel

        return ConsoleChannel(name, config)
    raise TypeError(f"unknown channel config {type(config).__name__}")


def build_channels(
    configs: Mapping[str, ChannelConfig], session: aiohttp.ClientSession
) -> dict[str, Channel]:
    """Every configured channel by name; network channels share ``session``."""
    return {name: build_channel(name, config, session) for name, config in configs.items()}
