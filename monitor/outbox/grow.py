"""outbox.grow: what a story or an event that grew does to its alerts, inside the pipeline's
transaction: a pending alert shows the new outlets (``store.growth``: written once per
story or event, not into each alert), a sent one gets an update (see the package's
docstring), and the bursts are checked."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace

from monitor.channels.mailthread import FIRST_ALERT, thread_token
from monitor.dedup.outlet import shown_headline
from monitor.models import Alert, Event, Story
from monitor.outbox import told as told_by
from monitor.outbox.bursts import maybe_burst, maybe_event_burst
from monitor.outbox.content import event_extra, lede
from monitor.outbox.keys import story_burst_key
from monitor.outbox.pace import UPDATES_SENT
from monitor.outbox.per_event import rules_of
from monitor.store import alerts as rows
from monitor.store import angles as angle_store
from monitor.store import growth
from monitor.store.alerts import Due
from monitor.store.db import Db
from monitor.store.grown import Held
from monitor.store.payload import first_kept
from monitor.store.story_rows import fill_outlets

# What a poll's growth writes (``growth.write``): each grown story's or event's outlets and
# what its alerts tell, and the pending alerts that show it from now on.
_Grown = list[tuple[str, Sequence[str], dict[str, str]]]
_Pointed = list[tuple[str, int]]
# The new angles an update names, the newest first; the others are counted ("and 4 more").
# The newest, not those told by the most outlets: in the first minutes a follow-up is told by
# one outlet (explore13's trial: "Ukraine rejects Putin's invitation" was 3 stories of one
# outlet each), and the angle with the most outlets was a story folded in by mistake.
NEW_ANGLES_SHOWN = 8
# What an update shows of its newest angle (``_lead``): its outlet, and the first message's
# link (an edit replaces the message that had it).
LEAD_OUTLET = "lead_outlet"
FIRST_URL = "first_url"


async def on_grown(
    db: Db,
    *,
    stories: Sequence[tuple[Story, Sequence[Held]]],
    events: Sequence[tuple[Event, Sequence[Held]]],
    named: Mapping[tuple[str, int], Sequence[str]] | None = None,
    overtaken: Mapping[tuple[str, int], tuple[int, int]] | None = None,
    now: float,
) -> None:
    """The stories and events a poll grew, with their alerts as read before
    (``store.grown``): for each story, its pending alerts show its outlets and one update of
    each message already sent on a channel that can edit is queued (or refreshed); for each
    event, its pending alerts show the event as it is now and one update of each message
    already sent is queued (or refreshed: "14 outlets, 3 angles" and the new angles); the bursts
    of both are checked. What the pending alerts show is written once per story or event,
    at the end, in one trip. ``named``: by (channel, event), the rules whose match this poll
    sent no message of its own for, as one as urgent was sent: that message's update names
    them (the reader learns why it came). ``overtaken``: by (channel, event), the alert this
    poll queued more urgent than the message sent and the story it tells: an update that
    lists that story as a new angle waits for it (``outbox.told``)."""
    written: _Grown = []
    pointed: _Pointed = []
    await fill_outlets(db, [story for story, _ in stories])
    for story, alerts in stories:
        await _story_grew(db, story, now, alerts, written, pointed)
    for event, alerts in events:
        await _event_grew(db, event, now, alerts, written, pointed, named or {}, overtaken or {})
    # Nothing above reads a pending alert back: what it shows can wait till here.
    await growth.write(db, written, pointed)


def _follow(alerts: Sequence[Held], owner: str, pointed: _Pointed) -> bool:
    """Point the pending ``alerts`` at ``owner``'s growth (those not pointing there yet);
    whether any is pending."""
    pending = False
    for held in alerts:
        if held.status == rows.PENDING:
            pending = True
            if held.growth != owner:
                pointed.append((owner, held.id))
    return pending


async def _event_grew(
    db: Db,
    event: Event,
    now: float,
    alerts: Sequence[Held],
    grown_rows: _Grown,
    pointed: _Pointed,
    named: Mapping[tuple[str, int], Sequence[str]],
    overtaken: Mapping[tuple[str, int], tuple[int, int]],
) -> None:
    # A burst alert of this event among them is one per (channel, rule): no need to look for
    # it. Only of this event: a story that moved to it brings the alerts of its old event.
    bursted = {
        (held.channel, held.rule)
        for held in alerts
        if held.kind == "burst" and held.event_id == event.id
    }
    told = event_extra(event)
    heads: list[tuple[int, str]] | None = None  # the newest stories, read once if needed
    leads: dict[int, tuple[str, str | None, str, str] | None] = {}  # by story, read once
    for held in alerts:
        if held.bursting and (held.channel, held.rule) not in bursted:
            await maybe_event_burst(db, event, held.due.alert, now)
        if held.status != rows.SENT:
            continue
        due = held.due
        alert = due.alert
        outlets = first_kept(alert.outlets[:1], event.outlets)
        extra = {**alert.extra, **told}
        # The event's message names the rules (a burst's is its rule's own).
        later = named.get((held.channel, event.id), ()) if named and held.kind == "new" else ()
        if later and (rules := _with_rules(alert, later)) != rules_of(alert):
            extra["rules"] = ", ".join(rules)
        if alert.outlets == outlets and alert.extra == extra:
            continue
        # On PostgreSQL the poll holds this row already (``store.grown.hold_updates``).
        previous = await rows.by_key(db, alert.channel, f"update:{alert.id}")
        if (
            held.kind == "new"
            and previous is not None
            and (previous[1] not in _REACHED or due.external_id)
        ):
            # The rules the update that waits (or never reached the reader) named stay named;
            # so do those of one sent as an edit: the next edit replaces the whole message.
            rules = _with_rules(alert, [*rules_of(previous[0].alert), *later])
            if rules != rules_of(alert):
                extra["rules"] = ", ".join(rules)
        # An edit is of the message the reader got first (what came since a more urgent
        # message told some of it: ``outbox.told``); else, of the last one mailed.
        before = (
            _edited(alert, previous)
            if due.external_id
            else _new_angle(alert, event.stories, previous)
        )
        if before is None:
            continue
        if due.external_id and before > alert.angles:  # kept by the edits that follow
            extra["angles_before"] = str(before)
        # The angles more urgent messages told on this channel (no update lists them again)
        # and those the update waits for (``outbox.told``).
        extra = told_by.unheld(extra)
        kept = previous[0].alert.extra if previous is not None else {}
        told_heads = told_by.told_of(kept)
        holds = (
            told_by.holds_of(kept) if previous is not None and previous[1] == rows.PENDING else []
        )
        fresh = replace(alert, outlets=outlets)
        if event.stories > before:  # what the update lists as new since that message
            since = event.stories - before
            if heads is None or (told_heads and len(heads) < since):
                limit = max(NEW_ANGLES_SHOWN, since) if told_heads else NEW_ANGLES_SHOWN
                heads = await angle_store.newest_headlines(db, event.id, limit)
            every = [shown_headline(t) or t for _, t in heads[:since]]
            # As a new alert shows its headline: without the outlet's name after it.
            shown = [(s, shown_headline(t) or t) for s, t in heads[: min(since, NEW_ANGLES_SHOWN)]]
            urgent = overtaken.get((held.channel, event.id))
            if urgent is not None:  # its own message tells its story: if listed here, wait
                holds += [
                    (urgent[0], h) for s, h in shown if s == urgent[1] and h not in told_heads
                ]
            new = [h for _, h in shown if h not in told_heads]
            extra |= {"angles_before": str(before), "new_angles": "\n".join(new)}
            told_n = sum(h in told_heads for h in every)
            if told_n:
                extra[told_by.ANGLES_TOLD] = str(told_n)
            # The lead is an angle the update tells: not one it waits for an urgent
            # message to tell (review18e: "Update: <third>" led by the urgent one's link).
            waited = {h for _, h in holds}
            newest = next((s for s, h in shown if h in new and h not in waited), None)
            if newest is not None:
                fresh = await _lead(db, fresh, newest, [s for s, _ in heads[:since]], leads, extra)
        extra |= told_by.marks(holds, told_heads)
        if not due.external_id:  # a message of its own: the count paces the next one
            sent_before = int(kept.get(UPDATES_SENT, "0") or 0) if previous is not None else 0
            if previous is not None and previous[1] == rows.SENT:
                sent_before += 1
            extra[UPDATES_SENT] = str(sent_before)
        await _queue_update(db, due, replace(fresh, extra=extra), now)
    owner = growth.event_owner(event.id)
    if _follow(alerts, owner, pointed):
        grown_rows.append((owner, event.outlets, told))


async def _lead(
    db: Db,
    alert: Alert,
    newest: int,
    since: Sequence[int],
    leads: dict[int, tuple[str, str | None, str, str] | None],
    extra: dict[str, str],
) -> Alert:
    """``alert`` as its update shows the newest angle (story ``newest``): that angle's link,
    lede and outlet (``extra``), and the words that fired in the angles ``since`` the last
    message, for the rules the update names (none: it joined the event by its likeness, and
    the first item's words are not repeated). The first item's link is kept (``extra``)."""
    if newest not in leads:
        leads[newest] = await angle_store.lead(db, newest)
    found = leads[newest]
    if found is None:
        return alert
    title, url, outlet, summary = found
    rules = [r for r in (extra.get("rules") or alert.rule or "").split(", ") if r]
    # Each term once, as the newest angle wrote it ("meeting", not "Meeting" and "meet" too).
    by_term: dict[str, str] = {}
    hits = await angle_store.growth_hits(db, since, rules)
    for story in since:  # the newest first
        for listed in hits.get(story, ()):
            for hit in json.loads(listed):
                by_term.setdefault(str(hit["term"]), str(hit["text"]))
    terms: dict[str, str] = {}
    for text in by_term.values():
        terms.setdefault(text.casefold(), text)
    if alert.url:
        extra[FIRST_URL] = alert.url
    extra[LEAD_OUTLET] = outlet
    shown = tuple(terms.values())
    return replace(alert, url=url or alert.url, snippet=lede(summary, title), terms=shown)


def _with_rules(alert: Alert, later: Sequence[str]) -> list[str]:
    """The rules ``alert`` names, then those of ``later`` it does not."""
    rules = rules_of(alert)
    return rules + [r for r in dict.fromkeys(later) if r not in rules]


def worth_a_message(external_id: str | None, told: int, grown_to: int) -> bool:
    """Whether growth after a message that told ``told`` angles gets out: a message that can
    be edited is (Telegram, the console: ``external_id``), at each growth; mail and webhooks
    get a message of their own (external_id "") once the event has a new angle, not for
    each outlet more (at most one per update_delay, coalesced)."""
    return bool(external_id) or grown_to > told


# An update row the reader got, or whose growth a more urgent message told (``outbox.told``).
_REACHED = (rows.SENT, rows.TOLD)


def _edited(alert: Alert, previous: tuple[Due, str] | None) -> int:
    """The angles an edit of ``alert``'s message lists as new since: those it told first,
    or those a more urgent message told since (``outbox.told``) and every edit after it."""
    if previous is None:
        return alert.angles
    update, status = previous
    if status == rows.TOLD:
        return max(alert.angles, update.alert.angles)
    return max(alert.angles, int(update.alert.extra.get("angles_before", "0") or 0))


def _new_angle(alert: Alert, grown_to: int, previous: tuple[Due, str] | None) -> int | None:
    """How many angles the last message of ``alert`` the reader got told (its update's, once
    one was sent) when the event has more, or an update waits that should carry the newest;
    None when no message is due."""
    told = alert.angles
    # ``previous``: its update row and status, as read where the poll holds it already
    # (``store.grown.hold_updates``): read pending while the sender records it sent, a
    # refresh would put it back to pending and send it again for an outlet more.
    if previous is not None:
        update, status = previous
        if status not in _REACHED:  # waits, or never reached the reader: what it was after
            before = int(update.alert.extra.get("angles_before", str(told)) or told)
            if status == rows.PENDING or grown_to > before:
                return before
            return None
        told = int(update.alert.extra.get("angles", str(told)) or told)
    return told if worth_a_message(None, told, grown_to) else None


async def _story_grew(
    db: Db,
    story: Story,
    now: float,
    alerts: Sequence[Held],
    grown_rows: _Grown,
    pointed: _Pointed,
) -> None:
    # A burst alert of this story among them is one per (channel, rule): the check would
    # find it and do nothing, so it is not made (nor the alert decoded for it).
    bursted = {(held.channel, held.dedup_key) for held in alerts if held.kind == "burst"}
    for held in alerts:
        if held.bursting and (held.channel, story_burst_key(story.id, held.rule)) not in bursted:
            await maybe_burst(db, story, held.due.alert, now)
        if held.status != rows.SENT or not held.external_id:
            continue
        due = held.due
        outlets = first_kept(due.alert.outlets[:1], story.outlets)
        if due.alert.outlets != outlets:
            await _queue_update(db, due, replace(due.alert, outlets=outlets), now)
    owner = growth.story_owner(story.id)
    if _follow(alerts, owner, pointed):
        grown_rows.append((owner, story.outlets, {}))


async def _queue_update(db: Db, due: Due, fresh: Alert, now: float) -> None:
    """Queue (or refresh) the one update of ``due``'s sent message, carrying ``fresh``: an
    edit of it where the channel gave an id to edit, else a message of its own."""
    # The first mail's id: mail threads the update under it (``mailthread``).
    first = {"of_kind": due.alert.kind, FIRST_ALERT: thread_token(due.alert.id, due.created_at)}
    update = replace(fresh, kind="update", extra={**fresh.extra, **first})
    await rows.upsert_update(
        db,
        update,
        dedup_key=f"update:{due.alert.id}",
        external_id=due.external_id or "",
        now=now,
        due=now,
    )
