"""outbox.told: the update of an event's sent message that waits for a more urgent message
of the same growth on its channel. A rule more urgent than the message sent goes out on its
own (``outbox.per_event``) and tells the reader of its story; when that story is an angle the
first message's update adds, the update must not tell it again, nor may the angle be lost if
the urgent message never arrives. So the update is held while the urgent message waits or is
being sent; once that one is recorded sent, its headline is taken out of the update's new
angles (and kept in ``TOLD_ANGLES``: a later update of the message does not list it again,
``outbox.grow``); the update is dropped and kept as ``told`` only when it has no other new
angle left. Once the urgent message failed, expired or was folded into a storm summary, the
update goes out as it was. What the update waits for is in its payload (``HELD_FOR``,
``HELD_HEADS``), taken out before it is sent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from monitor.models import Alert
from monitor.store import Store
from monitor.store import alerts as rows
from monitor.store.alerts import Due

HELD_FOR = "held_for"  # the ids of the urgent alerts the update waits for, space-separated
HELD_HEADS = "held_heads"  # the headline of the angle each tells, one a line, in that order
# Of ed858b6's holds (by count, without the headline): such an update goes out as it was.
_HELD_ANGLES = "held_angles"
# The headlines urgent messages told on the channel: no update of the message lists them.
TOLD_ANGLES = "told_angles"
# How many of the angles since ``angles_before`` the update leaves out (told): not "more".
ANGLES_TOLD = "angles_told"
# A held update is read again this long after the urgent alert's own time (seconds): that
# one goes first, and its outcome decides.
AFTER = 0.001

Hold = tuple[int, str]  # an urgent alert's id, the headline of the angle it tells


def _lines(value: str) -> list[str]:
    return [h for h in value.split("\n") if h.strip()]


def holds_of(extra: Mapping[str, str]) -> list[Hold]:
    """What a waiting update (``extra``: its payload's) waits for."""
    ids = [int(i) for i in extra.get(HELD_FOR, "").split()]
    heads = extra.get(HELD_HEADS, "").split("\n") if HELD_HEADS in extra else []
    return [(i, heads[n] if n < len(heads) else "") for n, i in enumerate(ids)]


def told_of(extra: Mapping[str, str]) -> list[str]:
    """The headlines urgent messages told instead of the update whose payload is ``extra``."""
    return _lines(extra.get(TOLD_ANGLES, ""))


def marks(holds: Sequence[Hold], told: Sequence[str]) -> dict[str, str]:
    """What an update's payload carries: the urgent alerts it waits for (``holds``) and the
    headlines told by earlier ones (``told``)."""
    out: dict[str, str] = {}
    if holds:
        out[HELD_FOR] = " ".join(str(i) for i, _ in holds)
        out[HELD_HEADS] = "\n".join(h for _, h in holds)
    if told:
        out[TOLD_ANGLES] = "\n".join(dict.fromkeys(told))
    return out


def unheld(extra: Mapping[str, str]) -> dict[str, str]:
    """``extra`` without what ``marks`` wrote (``grow`` writes it again)."""
    drop = (HELD_FOR, HELD_HEADS, _HELD_ANGLES, TOLD_ANGLES, ANGLES_TOLD)
    return {k: v for k, v in extra.items() if k not in drop}


def _released(alert: Alert, sent: Sequence[str]) -> tuple[Alert, bool]:
    """``alert`` without its hold, the headlines of ``sent`` (told by urgent messages now
    recorded sent) taken out of its new angles; whether it still has one to tell."""
    extra = {k: v for k, v in alert.extra.items() if k not in (HELD_FOR, HELD_HEADS, _HELD_ANGLES)}
    heads = _lines(extra.get("new_angles", ""))
    gone = [h for h in dict.fromkeys(sent) if h in heads]
    if not gone:
        return replace(alert, extra=extra), True
    left = [h for h in heads if h not in gone]
    extra["new_angles"] = "\n".join(left)
    extra[ANGLES_TOLD] = str(int(extra.get(ANGLES_TOLD, "0") or 0) + len(gone))
    extra[TOLD_ANGLES] = "\n".join(dict.fromkeys([*told_of(extra), *gone]))
    if left and extra.get("latest") in gone:
        extra["latest"] = left[0]  # the newest angle it tells
    return replace(alert, extra=extra), bool(left)


async def settle(store: Store, batch: Sequence[Due], now: float) -> list[Due]:
    """``batch`` (what a worker read due) without the updates that wait for an urgent alert
    still pending (read again after that one's time); once none is, an update goes out
    without the angles the sent ones told, or is kept as ``told`` when nothing else is left;
    the angle of one that failed, expired or was folded stays in it."""
    held = [d for d in batch if d.alert.kind == "update" and HELD_FOR in d.alert.extra]
    if not held:
        return list(batch)
    released: dict[int, Due] = {}
    later: dict[int, float] = {}
    async with store.transaction() as db:
        await rows.hold(db, [d.alert.id for d in held])
        for due in held:
            alert = due.alert
            sent: list[str] = []
            waits: float | None = None
            for urgent_id, head in holds_of(alert.extra):
                urgent = await rows.state(db, urgent_id)
                if urgent is not None and urgent[0] == rows.PENDING:
                    waits = max(waits or 0.0, urgent[1])
                elif urgent is not None and urgent[0] == rows.SENT and head:
                    sent.append(head)
            if waits is not None:
                later[alert.id] = max(waits, now) + AFTER
                continue
            fresh, telling = _released(alert, sent)
            payload = rows.dump_payload(fresh)
            if not telling:
                await rows.mark_told(db, alert.id, payload, read=due.stored)
                continue
            if await rows.set_payload(db, alert.id, fresh, read=due.stored):
                released[alert.id] = replace(due, alert=fresh, payload=payload, stored=payload)
        if later:
            await rows.postpone_each(db, later, read={d.alert.id: d.stored for d in held})
    return [
        released.get(d.alert.id, d)
        for d in batch
        if HELD_FOR not in d.alert.extra or d.alert.id in released
    ]
