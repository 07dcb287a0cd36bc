"""What an update of an alert per event says that is new: it leads with the newest angle
(the reader has the first headline already) and names the angles that came since the last
message the reader got (``outbox.grow`` writes them into the update)."""

from __future__ import annotations

from monitor.models import Alert


def new_angles(alert: Alert) -> tuple[list[str], int]:
    """The headlines an event's update names as new since the last message the reader got,
    the newest first, and how many more came besides (``outbox.grow`` writes them)."""
    heads = [h for h in alert.extra.get("new_angles", "").split("\n") if h.strip()]
    if alert.kind != "update" or not heads:
        return [], 0
    try:
        came = int(alert.extra.get("angles", "0")) - int(alert.extra.get("angles_before", "0"))
        # Less those a more urgent message of the channel told instead (``outbox.told``).
        came -= int(alert.extra.get("angles_told", "0") or 0)
    except ValueError:
        came = len(heads)
    return heads, max(0, came - len(heads))


def more_line(more: int) -> str:
    return f"and {more} more" if more > 0 else ""


def headline(alert: Alert) -> str:
    """What a message leads with: an event's update, its newest angle (the reader has had
    the first headline already); any other alert, its own."""
    if alert.kind == "update" and alert.event_id is not None:
        heads, _ = new_angles(alert)
        newest = heads[0] if heads else alert.extra.get("latest", "")
        if newest.strip():
            return newest
    return alert.title


def follows_line(alert: Alert) -> str:
    """``Follows: <first headline>`` for an update that leads with a newer one."""
    return f"Follows: {alert.title}" if headline(alert) != alert.title else ""


def message_id(alert: Alert) -> str:
    """The id of the message ``alert`` goes out as: the alert's id, and for an update also
    the number of angles it tells (``"2.3"``). An update row is sent again each time its event
    has an angle more than its last message told (``outbox.grow``), so each of its messages
    has an id of its own, and a retry of one message (the same content) keeps it."""
    if alert.kind == "update":
        return f"{alert.id}.{alert.angles}"
    return str(alert.id)
