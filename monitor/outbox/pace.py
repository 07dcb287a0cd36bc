"""How long an update waits before it goes out. An edit (Telegram, the console) is silent:
it waits ``update_delay`` after the growth, each time. An update sent as a message of its
own (email, webhooks) notifies: the first waits ``update_delay``, and each one after it of
the same message twice as long as the one before (1, 2, 4, 8 minutes...), up to
``update_max``; the growth meanwhile is coalesced into it, so nothing is lost while a story
keeps growing, and the reader gets a few messages, not one a minute."""

from __future__ import annotations

from monitor.channels.config import DeliveryConfig
from monitor.store.alerts import Due

# How many updates of a message went out as messages of their own before this one: in the
# update's payload (``outbox.grow`` counts them).
UPDATES_SENT = "updates_sent"


def update_wait(config: DeliveryConfig, due: Due) -> float:
    """Seconds ``due`` (an update) waits after its growth (its row's ``created_at``)."""
    delay = config.update_delay
    if due.external_id or delay <= 0:
        return delay
    try:
        sent = int(due.alert.extra.get(UPDATES_SENT, "0") or 0)
    except ValueError:
        sent = 0
    # update_max at or below update_delay (or 0): a steady pace, as before update_max; and
    # never as long as expire_after, counted from the same growth: an update waiting that
    # long would expire unsent, at every growth (review18e: expire_after 5m lost angles).
    longest = max(delay, min(config.update_max, config.expire_after / 2))
    return float(min(longest, delay * 2.0 ** min(max(sent, 0), 32)))
