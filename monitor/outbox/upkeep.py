"""outbox.upkeep: what a delivery worker does to the outbox besides sending: the expiry
sweep, and the follow-up of a message whose story grew while it was being sent."""

from __future__ import annotations

import logging
from dataclasses import replace

from monitor.channels.config import DeliveryConfig
from monitor.channels.mailthread import FIRST_ALERT, thread_token
from monitor.configtypes import format_duration
from monitor.errors import MonitorError
from monitor.models import Alert
from monitor.outbox.grow import worth_a_message
from monitor.outbox.keys import event_key, story_key
from monitor.outbox.pace import UPDATES_SENT
from monitor.outbox.per_event import rules_of
from monitor.store import Store
from monitor.store import alerts as rows
from monitor.store.alerts import Due
from monitor.store.db import Db
from monitor.store.event_alerts import rank
from monitor.store.payload import dump_payload

log = logging.getLogger("monitor.outbox")

SWEEP_MAX = 60.0  # the longest between two expiry sweeps of a channel (seconds)
EXPIRE_BATCH = 20  # alerts given up per transaction


async def expire(store: Store, channel: str, config: DeliveryConfig, now: float) -> float:
    """Give up the alerts of ``channel`` older than ``expire_after``, due or not (one parked
    behind a paused channel or a far retry expires on time all the same); returns when to
    sweep next: not at every turn of the worker, as it reads every pending alert. A few at a
    time, each batch committed on its own: a backlog in one transaction would hold up every
    poll that waits for one of its alerts for as long as it lasts."""
    limit = config.expire_after
    error = f"expired: not delivered within {format_duration(limit)}"
    ids: list[int] = []
    try:
        while True:
            async with store.transaction() as db:
                batch = await rows.expire_overdue(
                    db, channel, created_before=now - limit, now=now, error=error,
                    limit=EXPIRE_BATCH,
                )  # fmt: skip
            ids += batch
            if len(batch) < EXPIRE_BATCH:
                break
    except MonitorError as exc:
        # The batches committed before stay expired, and are said so below.
        log.error("%s: %s", channel, exc)
    if ids:
        more = f" and {len(ids) - 20} more" if len(ids) > 20 else ""
        shown = ", ".join(map(str, ids[:20])) + more
        log.error("%s: %d alert(s) %s: %s", channel, len(ids), error, shown)
    return now + min(SWEEP_MAX, limit / 10)


async def follow_up(db: Db, due: Due, external_id: str | None, shown: str, now: float) -> None:
    """``due`` went out and was recorded sent as it went; ``shown`` is what it showed by then.
    More means its story or event grew (or its update was refreshed) while it was being
    sent, by a poll that still saw it pending and so left the message to it: what that poll
    would have queued had it come a moment later is queued here (an update, or the refreshed
    update again), on the same terms (``outbox.grow.worth_a_message``). A rule folded into
    it meanwhile (``outbox.per_event``) is not lost with the payload recorded as it went:
    one more urgent than what went out gets a message of its own; another, the update that
    names it."""
    if shown == due.payload:
        return
    alert = due.alert
    fresh = rows.load_alert((alert.id, alert.channel, alert.kind, shown))
    # As a poll's growth would have it (``outbox.grow``): an edit at each growth, a message
    # of its own (mail, webhooks) for an event's new angle only. An update refreshed while
    # it went out goes again on those terms, not for an outlet more.
    if alert.kind not in ("update", "new", "burst"):
        return
    added = [r for r in rules_of(fresh) if r not in rules_of(alert)] if alert.kind == "new" else []
    if added and rank(fresh.severity) > rank(alert.severity):
        await _on_its_own(db, fresh, added, now)
        added = []
    if not added and not worth_a_message(external_id or due.external_id, alert.angles,
                                         fresh.angles):  # fmt: skip
        return
    if alert.kind == "update":
        if not (external_id or due.external_id):  # a message of its own: it went, count it
            sent = int(alert.extra.get(UPDATES_SENT, "0") or 0) + 1
            fresh = replace(fresh, extra={**fresh.extra, UPDATES_SENT: str(sent)})
            shown = dump_payload(fresh)
        await rows.requeue(db, alert.id, shown, now=now)
        return
    first = {"of_kind": fresh.kind, FIRST_ALERT: thread_token(fresh.id, due.created_at)}
    update = replace(fresh, kind="update", extra={**fresh.extra, **first})
    await rows.upsert_update(
        db,
        update,
        dedup_key=f"update:{fresh.id}",
        external_id=external_id or "",
        now=now,
        due=now,
    )


async def _on_its_own(db: Db, fresh: Alert, added: list[str], now: float) -> None:
    """The rules ``added`` to ``fresh`` while it went out without them, more urgent than it
    went: their alert, as ``outbox.per_event`` lets one more urgent than the one sent go out
    on its own (a quiet-hours override must not wait for an update)."""
    # Not theirs: the rules the message named, its first rule's burst condition.
    extra = {k: v for k, v in fresh.extra.items() if k != "rules" and not k.startswith("burst_")}
    if len(added) > 1:
        extra["rules"] = ", ".join(added)
    own = replace(fresh, rule=added[0], extra=extra)
    event = fresh.event_id
    key = story_key(fresh.story_id or 0, added[0]) if event is None else event_key(event, added[0])
    await rows.insert(db, own, dedup_key=key, now=now)
