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


def lead_outlet(alert: Alert) -> str:
    """The outlet of the newest angle an event's update leads with ("" for any other alert,
    and for an update queued before updates showed it): its link, lede and the words that
    fired in the growth are the update's own (``outbox.grow``)."""
    if alert.kind != "update" or alert.event_id is None:
        return ""
    return alert.extra.get("lead_outlet", "")


def from_line(alert: Alert) -> str:
    """``From <outlet>`` of the newest angle an update leads with."""
    outlet = lead_outlet(alert)
    return f"From {outlet}" if outlet else ""


def shows_lede(alert: Alert) -> bool:
    """Whether the alert's lede is news to the reader: not the first story's again in an
    update (one that leads with a newer angle has that angle's)."""
    return bool(alert.snippet) and (alert.kind != "update" or bool(lead_outlet(alert)))


def grown_heading(alert: Alert, heading: str) -> str:
    """The heading of a message edited in place as its event grows: it says so and how far
    (``Update (3 angles)``; a burst's ``Spreading fast (3 angles)``); ``heading`` as it was
    for any other edit (outlets more, no new angle) and alert."""
    if alert.kind != "update" or alert.event_id is None or not new_angles(alert)[0]:
        return heading
    kind = "Update" if alert.extra.get("of_kind", "new") == "new" else heading
    return f"{kind} ({alert.angles} angles)"


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
