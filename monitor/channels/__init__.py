"""channels: where alerts go (telegram, email, webhook, console).

A channel turns one ``Alert`` (or a digest of several) into one message. It declares its
limits as class attributes, raises ``ChannelError`` (``permanent``, ``retry_after``) when it
cannot deliver, and its ``repr`` never shows a secret. Retries, rate limits, quiet hours and
digests are the outbox's business (``monitor/outbox/``), not the channel's.

Every alert passes through ``shown_alert`` on its way in (``send``, ``send_digest``,
``edit``), so no channel type can print a secret or a control character: a type implements
``_send``, ``_send_digest`` and ``_edit`` and sees only what a reader may see.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

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
from monitor.normalize import direct_link, without_tracking
from monitor.redact import shown, shown_link

if TYPE_CHECKING:  # the session is made by who runs the channels: configs alone need no client
    import aiohttp

__all__ = ["Channel", "ChannelError", "build_channel", "build_channels", "shown_alert"]


def shown_alert(alert: Alert) -> Alert:
    """``alert`` with every text a reader sees passed through ``redact.shown``: a health
    alert quotes a feed URL and its error, whose key must not reach a chat or a mailbox. The
    article's link is the publisher's (``shown_link``): only what is surely a secret is
    masked there, so that the link still opens the article, and its tracking parameters are
    taken off (``normalize.without_tracking``); a health alert's is a feed's."""
    link = shown if alert.kind == "health" else _article_link
    extra = {k: shown(v) if isinstance(v, str) else v for k, v in alert.extra.items()}
    if isinstance(first := alert.extra.get("first_url"), str):  # "First report" (outbox.grow)
        extra["first_url"] = _article_link(first)
    return replace(
        alert,
        title=shown(alert.title),
        rule=shown(alert.rule) if alert.rule else alert.rule,
        url=link(alert.url) if alert.url else alert.url,
        outlets=tuple(shown(o) for o in alert.outlets),
        terms=tuple(shown(t) for t in alert.terms),
        snippet=shown(alert.snippet),
        extra=extra,
    )


def _article_link(url: str) -> str:
    """An article's link as an alert shows it: without how the reader came to it (utm_*,
    fbclid), which only tells the publisher that the reader came from us (explore14), and
    the outlet's own where an aggregator's click-through names it (``direct_link``)."""
    return shown_link(without_tracking(direct_link(url)))


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
        return await self._send(shown_alert(alert))

    async def send_digest(self, alerts: Sequence[Alert]) -> str | None:
        """Deliver several alerts as one message."""
        return await self._send_digest([shown_alert(a) for a in alerts])

    async def edit(self, alert: Alert, external_id: str) -> str | None:
        """Replace the message ``external_id`` with ``alert`` (only when ``can_edit``). None,
        or the id of a new message that says it instead (the old one can no longer be edited:
        the reader deleted it), for the next edits to edit."""
        return await self._edit(shown_alert(alert), external_id)

    async def _send(self, alert: Alert) -> str | None:
        raise NotImplementedError

    async def _send_digest(self, alerts: Sequence[Alert]) -> str | None:
        # The default: one message each.
        for alert in alerts:
            await self._send(alert)
        return None

    async def _edit(self, alert: Alert, external_id: str) -> str | None:
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
