"""One try at a channel: send an alert, or edit the message an earlier one left, and turn
whatever the channel did into a ``ChannelError`` or nothing. What to do next with the
outcome (retry, give up, mark sent) is the deliverer's business."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

from monitor.channels import Channel
from monitor.channels.mailthread import thread_first
from monitor.errors import ChannelError
from monitor.store.alerts import Due

log = logging.getLogger("monitor.outbox")


async def attempt(channel: Channel, due: Due) -> tuple[ChannelError | None, str | None]:
    """Send or edit one alert: the error (None when it went out) and, for a new message, the
    channel's id for it (to edit it later); an edit has one when the channel sent a new
    message in place of the one it could no longer edit."""
    alert = due.alert
    sent: list[str | None] = []

    async def send() -> None:
        sent.append(await channel.send(alert))

    async def edit(external_id: str) -> None:
        sent.append(await channel.edit(alert, external_id))

    if alert.kind != "update":
        alert = thread_first(alert, due.created_at)  # the id mail's updates name
        error = await call(channel, send())
        return error, sent[0] if sent else None
    if due.external_id and channel.can_edit:
        # A new message where the old one can no longer be edited: its id is the one the
        # next updates edit (recorded on the update's row).
        # Two requests when the message is gone (the refused edit, then the new message): a
        # budget for both, or the guard cancels a send Telegram took, and it goes twice.
        error = await call(channel, edit(due.external_id), requests=2)
        return error, sent[0] if sent else None
    if alert.event_id is not None and not channel.can_edit:
        # An event's update to mail or a webhook: a message of its own.
        return await call(channel, channel.send(alert)), None
    return None, None  # the channel no longer edits (config changed): nothing to update


async def call(
    channel: Channel, pending: Awaitable[object], requests: int = 1
) -> ChannelError | None:
    """Await a channel call of up to ``requests`` requests; the ChannelError it raised (or
    made of a surprise), or None."""
    try:
        # The channel has its own timeout a request; this one only catches one that hangs.
        async with asyncio.timeout(channel.config.timeout * requests + 5):
            await pending
    except ChannelError as exc:
        return exc
    except TimeoutError:
        return ChannelError(f"{channel.name}: no answer within {channel.config.timeout:g}s")
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a bug in a channel must not kill its worker
        # Only the class name: an unknown exception's text may hold a URL with a secret.
        log.error("%s: unexpected %s from the channel", channel.name, type(exc).__name__)
        return ChannelError(f"{channel.name}: unexpected error {exc.__class__.__name__}")
    return None
