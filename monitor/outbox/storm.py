"""outbox.storm: the alert-storm guard, per channel and rule.

A feed of 100,000 new items matching one rule would otherwise become 100,000 messages. Beyond
``storm_limit`` story alerts of one rule a minute on one channel, the rest are not sent: each
is marked ``folded`` (so ``monitor status`` counts it, and nothing is silently dropped) and
counted in one "storm" summary alert per rule and minute ("and 97,000 more"), sent at the end
of that minute. The count is of alerts let through, over a sliding minute, seeded from the
store at start so a restart does not open the gate again.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from monitor.models import Alert
from monitor.store import Store
from monitor.store import alerts as rows
from monitor.store.alerts import Due
from monitor.store.db import Db

log = logging.getLogger("monitor.outbox")

KINDS = ("new", "burst")  # one per story and rule: the alerts a flood multiplies
WINDOW = 60.0  # seconds: the limit is per minute
SAMPLES = 5  # headlines named in a summary, of what was held back


class StormGuard:
    """Lets at most ``limit`` story alerts of one rule go out per sliding minute.

    What counts is what was delivered (``delivered``), plus what the batch being sent has
    admitted so far: an alert that failed takes no place, so an outage folds nothing.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._sent: dict[str | None, deque[float]] = {}
        self._said: dict[str, int] = {}  # rule -> the minute its storm was last logged

    def __repr__(self) -> str:
        return f"<StormGuard limit={self.limit}/min rules={len(self._sent)}>"

    def delivered(self, alerts: Iterable[Alert], at: float) -> None:
        """These alerts went out at ``at`` (also: what the store says went out, at start)."""
        for alert in alerts:
            if alert.kind in KINDS and alert.rule is not None:
                self._sent.setdefault(alert.rule, deque()).append(at)

    def seed(self, sent: Iterable[tuple[str | None, float]]) -> None:
        """What the store says went out in the last minute (rule, sent_at)."""
        for rule, at in sent:
            self._sent.setdefault(rule, deque()).append(at)

    def admit(self, alert: Alert, now: float, batch: Counter[str]) -> bool:
        """True: send ``alert`` now (``batch`` counts it); False: fold it into the summary."""
        if self.limit <= 0 or alert.kind not in KINDS or alert.rule is None:
            return True
        times = self._sent.setdefault(alert.rule, deque())
        while times and times[0] <= now - WINDOW:
            times.popleft()
        if len(times) + batch[alert.rule] >= self.limit:
            return False
        batch[alert.rule] += 1
        return True

    def say(self, channel: str, totals: Mapping[str, int], now: float) -> None:
        """Log a storm once per rule and minute, when it starts folding: a worker folds
        batch after batch (a poll's worth each), and a line each would flood the log. Its
        end is the summary's own "delivered" line."""
        minute = int(now // WINDOW)
        for rule, total in totals.items():
            if self._said.get(rule) == minute:
                continue
            self._said[rule] = minute
            log.warning(
                "%s: alert storm: rule %r over %d alerts a minute: the rest of this minute "
                "goes out as one summary at its end (%d folded so far)",
                channel, rule, self.limit, total,
            )  # fmt: skip


def summary_due(now: float) -> float:
    """When the summary of the minute ``now`` falls in goes out: that minute's end."""
    return (now // WINDOW + 1) * WINDOW


async def fold(
    db: Db,
    channel: str,
    rule: str,
    held: Sequence[Alert],
    *,
    limit: int,
    now: float,
    due: float,
) -> int:
    """Mark ``held`` folded and count them into the rule's summary of this minute (created
    or grown); the summary's total so far."""
    await rows.mark_folded(
        db, [a.id for a in held], note=f"folded: over {limit} alerts a minute of rule {rule!r}"
    )
    key = f"storm:{rule}:{int(now // WINDOW)}"
    found = await rows.by_key(db, channel, key)
    # This minute's summary already went (drained early): the next one is keyed by the last
    # that went, so a third (a third `monitor once` in the minute) is not the second's key.
    while found is not None and found[1] != rows.PENDING:
        key = f"storm:{rule}:{int(now // WINDOW)}:{found[0].alert.id}"
        found = await rows.by_key(db, channel, key)
    if found is not None:
        before = found[0].alert
        total = int(before.extra.get("folded", "0")) + len(held)
        samples = before.extra.get("about", "").split("\n") if before.extra.get("about") else []
        await rows.set_payload(db, before.id, _summary(before, rule, total, samples, held, limit))
        return total
    base = Alert(id=0, channel=channel, kind="storm", title="", rule=rule, severity="normal")
    summary = _summary(base, rule, len(held), [], held, limit)
    await rows.insert(db, summary, dedup_key=key, now=now, next_attempt=due)
    return len(held)


def _summary(
    base: Alert, rule: str, total: int, samples: list[str], held: Sequence[Alert], limit: int
) -> Alert:
    for alert in held:
        if len(samples) >= SAMPLES:
            break
        if alert.title and alert.title not in samples:
            samples.append(alert.title)
    about = "; ".join(samples) + ("; …" if total > len(samples) else "")
    return replace(
        base,
        title=f"and {total:,} more alerts of rule {rule!r}",
        extra={
            "folded": str(total),
            "about": "\n".join(samples),
            "message": f"More than {limit} alerts of this rule within a minute: these {total:,}"
            f" were held back, not sent one by one (monitor status counts them as folded)."
            f" Among them: {about}",
        },
    )


async def fold_held(
    store: Store,
    channel: str,
    limit: int,
    held: Mapping[str, Sequence[Alert]],
    now: float,
    at_once: bool,
) -> dict[str, int]:
    """Fold what the guard held back, by rule, in one transaction; the summaries go at the
    end of this minute, or at once (``at_once``: draining, nothing more is coming). Each
    rule's summary's count so far."""
    due = now if at_once else summary_due(now)
    async with store.transaction() as db:
        # All of them at once, in id order, as a poll takes them (``store.grown.hold``).
        await rows.hold(db, [a.id for alerts in held.values() for a in alerts])
        totals = {
            rule: await fold(db, channel, rule, alerts, limit=limit, now=now, due=due)
            for rule, alerts in held.items()
        }
    return totals


async def send_now(store: Store, now: float, brought: set[int]) -> bool:
    """Draining: the summaries the workers folded before, due at their minute's end, go now
    (nothing more is coming, and a temporary database would leave with them); True if any.
    Each once a drain (``brought``): one that quiet hours hold again stays held."""
    async with store.transaction() as db:
        return await rows.bring_forward_once(db, "storm", now, brought)


async def refreshed(store: Store, dues: Sequence[Due]) -> list[Due]:
    """``dues`` with each summary read again: one read in the batch that just folded more
    into it would go out with the count it had before."""
    out = list(dues)
    if not any(d.alert.kind == "storm" for d in out):
        return out
    async with store.transaction() as db:
        for i, due in enumerate(out):
            if due.alert.kind == "storm":
                now = await rows.current(db, due.alert.id)
                if now is not None:
                    alert = rows.load_alert((due.alert.id, due.alert.channel, "storm", now[0]))
                    out[i] = replace(due, alert=alert, payload=now[0])
    return out
