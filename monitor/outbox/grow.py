"""outbox.grow: what a story or an event that grew does to its alerts, inside the pipeline's
transaction: a pending alert gets the new outlets, a sent one an update (see the package's
docstring), and the bursts are checked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from monitor.models import Alert, Event, Story
from monitor.outbox.bursts import maybe_burst, maybe_event_burst
from monitor.outbox.content import event_extra
from monitor.store import alerts as rows
from monitor.store import grown
from monitor.store.alerts import Due
from monitor.store.db import Db


async def on_grown(
    db: Db,
    *,
    stories: Sequence[tuple[Story, Sequence[tuple[Due, str]]]],
    events: Sequence[tuple[Event, Sequence[tuple[Due, str]]]],
    now: float,
) -> None:
    """The stories and events a poll grew, with their alerts as read before
    (``store.grown``): what ``on_story_grew`` does for each
    story, and for each event its pending alerts refreshed and one update of each message
    already sent queued (or refreshed: "14 outlets, 3 angles; latest: ..."), its bursts
    checked. The refreshed payloads of the pending alerts are written together at the end,
    in one statement, rather than one round trip to the database thread each."""
    refreshed: list[tuple[int, Alert]] = []
    for story, alerts in stories:
        await _story_grew(db, story, now, alerts, refreshed)
    for event, alerts in events:
        await _event_grew(db, event, now, alerts, refreshed)
    # Nothing above reads a "new" or "burst" alert's payload back: it can wait till here.
    await rows.set_payloads(db, refreshed)


async def _event_grew(
    db: Db,
    event: Event,
    now: float,
    alerts: Sequence[tuple[Due, str]],
    refreshed: list[tuple[int, Alert]],
) -> None:
    # A burst alert of this event among them is one per (channel, rule): no need to look for
    # it. Only of this event: a story that moved to it brings the alerts of its old event.
    bursted = {
        (d.alert.channel, d.alert.rule)
        for d, _ in alerts
        if d.alert.kind == "burst" and d.alert.event_id == event.id
    }
    told = event_extra(event)
    # The event's outlets with one of them first, by that one: an event's alerts (its rules,
    # their channels) mostly show the same outlet first, and an event has many outlets.
    ordered: dict[tuple[str, ...], tuple[str, ...]] = {}
    for due, status in alerts:
        alert = due.alert
        if (
            alert.kind == "new"
            and "burst_outlets" in alert.extra
            and (alert.channel, alert.rule) not in bursted
        ):
            await maybe_event_burst(db, event, alert, now)
        outlets = _first_kept(ordered, alert.outlets[:1], event.outlets)
        extra = {**alert.extra, **told}
        if alert.outlets == outlets and alert.extra == extra:
            continue
        fresh = replace(alert, outlets=outlets, extra=extra)
        if status == rows.PENDING:
            refreshed.append((alert.id, fresh))
        elif status == rows.SENT and (
            due.external_id or await _new_angle(db, alert, event.stories)
        ):
            # A message that can be edited is (Telegram, the console), at each growth; mail
            # and webhooks get a message of their own (external_id "") once the event has a
            # new angle, not for each outlet more: at most one per update_delay, coalesced.
            await _queue_update(db, due, fresh, now)


async def _new_angle(db: Db, alert: Alert, angles: int) -> bool:
    """Whether the event has more angles than the last message of ``alert`` told (its
    update's, once one was sent), or an update waits that should carry the newest."""
    told = int(alert.extra.get("angles", "1") or 1)
    previous = await rows.by_key(db, alert.channel, f"update:{alert.id}")
    if previous is not None:
        update, status = previous
        if status == rows.PENDING:
            return True
        told = int(update.alert.extra.get("angles", str(told)) or told)
    return angles > told


async def on_story_grew(
    db: Db,
    *,
    story: Story,
    now: float,
    alerts: Sequence[tuple[Due, str]] | None = None,
) -> None:
    """``story`` gained outlets: refresh its pending alerts, queue (or refresh) one update of
    each message already sent on a channel that can edit, and check the bursts.

    ``alerts``: the story's alerts (``store.grown.stories_alerts``) when the caller read them for
    many stories at once; read here otherwise.
    """
    if alerts is None:
        alerts = await grown.story_alerts(db, story.id)
    await on_grown(db, stories=[(story, alerts)], events=(), now=now)


async def _story_grew(
    db: Db,
    story: Story,
    now: float,
    alerts: Sequence[tuple[Due, str]],
    refreshed: list[tuple[int, Alert]],
) -> None:
    ordered: dict[tuple[str, ...], tuple[str, ...]] = {}
    for due, status in alerts:
        alert = due.alert
        if alert.kind == "new" and "burst_outlets" in alert.extra:
            await maybe_burst(db, story, alert, now)
        outlets = _first_kept(ordered, alert.outlets[:1], story.outlets)
        if alert.outlets == outlets:
            continue
        fresh = replace(alert, outlets=outlets)
        if status == rows.PENDING:
            refreshed.append((alert.id, fresh))
        elif status == rows.SENT and due.external_id:
            await _queue_update(db, due, fresh, now)


def _first_kept(
    ordered: dict[tuple[str, ...], tuple[str, ...]], first: tuple[str, ...], outlets: Sequence[str]
) -> tuple[str, ...]:
    """All ``outlets``, the one whose headline the alert shows (``first``) kept first;
    ``ordered`` remembers each order made, by its first outlet."""
    kept = ordered.get(first)
    if kept is None:
        kept = ordered[first] = first + tuple(o for o in outlets if o not in first)
    return kept


async def _queue_update(db: Db, due: Due, fresh: Alert, now: float) -> None:
    """Queue (or refresh) the one update of ``due``'s sent message, carrying ``fresh``: an
    edit of it where the channel gave an id to edit, else a message of its own."""
    update = replace(fresh, kind="update", extra={**fresh.extra, "of_kind": due.alert.kind})
    await rows.upsert_update(
        db,
        update,
        dedup_key=f"update:{due.alert.id}",
        external_id=due.external_id or "",
        now=now,
        due=now,
    )
