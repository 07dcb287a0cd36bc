"""outbox.told: the update of an event's sent message that waits for a more urgent message
of the same growth on its channel. A rule more urgent than the message sent goes out on its
own (``outbox.per_event``) and tells the reader of that growth; the first message's update
of it must not tell the same angle again, nor may the angle be lost if the urgent message
never arrives. So the update is held while the urgent message waits or is being sent; once
that one is recorded sent, the update is dropped and kept as ``told`` (a later update lists
only what came after it: ``outbox.grow``); once it failed or expired, the update goes out
after all. What the update waits for is in its payload (``HELD_FOR``, ``HELD_ANGLES``), taken
out before it is sent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from monitor.models import Alert
from monitor.store import Store
from monitor.store import alerts as rows
from monitor.store.alerts import Due

HELD_FOR = "held_for"  # the id of the urgent alert the update waits for
HELD_ANGLES = "held_angles"  # the event's angles once that growth came: what it tells
# A held update is read again this long after the urgent alert's own time (seconds): that
# one goes first, and its outcome decides.
AFTER = 0.001


def holding(urgent: int, angles: int) -> dict[str, str]:
    """What an update's payload carries while it waits for alert ``urgent``, whose growth
    brought the event to ``angles``."""
    return {HELD_FOR: str(urgent), HELD_ANGLES: str(angles)}


def carried(previous: Mapping[str, str]) -> dict[str, str]:
    """The hold of a waiting update (``previous``: its payload's extra), kept by its refresh."""
    return {k: previous[k] for k in (HELD_FOR, HELD_ANGLES) if k in previous}


def _unmarked(alert: Alert, told: int | None) -> Alert:
    """``alert`` without its hold; with ``told`` (what the urgent message told), listing only
    the angles that came after it (the newest first: ``outbox.grow``)."""
    extra = {k: v for k, v in alert.extra.items() if k not in (HELD_FOR, HELD_ANGLES)}
    if told is not None and told > int(extra.get("angles_before", "0") or 0):
        heads = [h for h in extra.get("new_angles", "").split("\n") if h.strip()]
        extra["angles_before"] = str(told)
        extra["new_angles"] = "\n".join(heads[: max(0, alert.angles - told)])
    return replace(alert, extra=extra)


async def settle(store: Store, batch: Sequence[Due], now: float) -> list[Due]:
    """``batch`` (what a worker read due) without the updates that wait for an urgent alert
    still pending (read again after that one's time); those whose urgent alert was sent and
    that tell nothing more are kept as ``told``; the others go out, their hold taken out
    (and, after a sent one, only what came since)."""
    held = [d for d in batch if d.alert.kind == "update" and HELD_FOR in d.alert.extra]
    if not held:
        return list(batch)
    released: dict[int, Due] = {}
    later: dict[int, float] = {}
    async with store.transaction() as db:
        await rows.hold(db, [d.alert.id for d in held])
        for due in held:
            alert = due.alert
            urgent = await rows.state(db, int(alert.extra[HELD_FOR]))
            if urgent is not None and urgent[0] == rows.PENDING:
                later[alert.id] = max(urgent[1], now) + AFTER
                continue
            told = int(alert.extra.get(HELD_ANGLES, "0") or 0)
            if urgent is not None and urgent[0] == rows.SENT:
                if alert.angles <= told:
                    fresh = _unmarked(alert, None)
                    await rows.mark_told(db, alert.id, rows.dump_payload(fresh), read=due.stored)
                    continue
                fresh = _unmarked(alert, told)
            else:  # failed, expired, folded into a storm summary: the reader never got it
                fresh = _unmarked(alert, None)
            payload = rows.dump_payload(fresh)
            if await rows.set_payload(db, alert.id, fresh, read=due.stored):
                released[alert.id] = replace(due, alert=fresh, payload=payload, stored=payload)
        if later:
            await rows.postpone_each(db, later, read={d.alert.id: d.stored for d in held})
    return [
        released.get(d.alert.id, d)
        for d in batch
        if HELD_FOR not in d.alert.extra or d.alert.id in released
    ]
