"""Feed health alerts: a feed that fails for longer than ``health_after``, or falls silent
for far longer than it has been quiet before, raises one alert; one more when it recovers.

``health_alerted`` on the feed's row remembers what was said (0 nothing, 1 failing,
2 stale), so a restart neither repeats an alert nor forgets to say "recovered".
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from monitor.store import Store
from monitor.store import feeds as feed_store
from monitor.store import items as item_store
from monitor.store.db import Db
from monitor.store.feeds import FeedState

OK, FAILING, STALE = 0, 1, 2
# A feed has fallen silent when it has published nothing for this many times the longest
# quiet spell it had in the RHYTHM_WINDOW before its last new item (never under
# health_after). Six median gaps called feeds that publish in bursts, or sleep every night,
# silent while they worked. UCI publishers replayed with one day of history (36 h): 0.47
# silence alerts per feed-day before, 0.14 with 2x their longest spell (1.5x: 0.22, 3x:
# 0.07), none with a week of it; a feed that stops is told after 19 h at the median, 40 h
# at most (bench/health_silence.py). A false alarm's spell is then in the window, so a feed
# is not told twice at the same rhythm.
QUIET_MARGIN = 2.0
RHYTHM_WINDOW = 8 * 86400.0  # a week and a day: a quiet weekend is seen again next week
# Only judged once it has this many distinct times of new items, seen over a day at least
# (so that its first night is not taken for silence).
MIN_RHYTHM_ITEMS, MIN_HISTORY = 6, 86400.0
# An item's first_seen is its poll's clock through a datetime (to the microsecond, rounded
# either way): the read of a rhythm reaches this far past the last poll's clock, or that
# poll's items would be left out of it about a third of the time.
_ROUNDING = 1.0


@dataclass(frozen=True, slots=True)
class Rhythm:
    """How a feed published before its last new item (from its items' first_seen)."""

    since: float  # the oldest first_seen in the window
    last: float  # its newest
    longest_quiet: float  # the longest time between two new items
    items: int  # first seen after ``since``

    def silent_after(self, health_after: float) -> float:
        """How long without a new item means the feed has fallen silent."""
        return max(health_after, QUIET_MARGIN * self.longest_quiet)

    def usual(self) -> str:
        """Its rhythm in a few true words: "about 12 items an hour"."""
        per_second = self.items / max(self.last - self.since, 1.0)
        units = (("an hour", 3600.0), ("a day", 86400.0), ("a week", 7 * 86400.0))
        unit, seconds = next((u for u in units if round(per_second * u[1]) >= 1), units[-1])
        count = max(1, round(per_second * seconds))
        return f"about {count} item{'s' if count > 1 else ''} {unit}"


def rhythm_of(first_seen: Sequence[float]) -> Rhythm | None:
    """The rhythm of a feed's items' first_seen times of the window (None: too few)."""
    times = sorted({round(t) for t in first_seen})
    if len(times) < MIN_RHYTHM_ITEMS:
        return None
    quiet = max(b - a for a, b in itertools.pairwise(times))
    # Those first seen with the oldest came before the span: they are not in its rate.
    items = sum(1 for t in first_seen if round(t) > times[0])
    return Rhythm(float(times[0]), float(times[-1]), float(quiet), items)


@dataclass(frozen=True, slots=True)
class HealthEvent:
    url: str
    name: str
    kind: str  # failing | stale | recovered
    message: str
    said: int  # the feed's health_alerted once this event is written


def _ago(seconds: float, *, up: bool = False) -> str:
    """A duration as people say it: 40s, 25m, 14h, 3d (rounded; ``up``: a bound, never
    under the duration)."""
    whole = math.ceil if up else round
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("m", 60.0)):
        if seconds >= 2 * size or (unit == "m" and seconds >= 90):
            return f"{whole(seconds / size)}{unit}"
    return f"{max(1, whole(seconds))}s"


def transitions(
    states: Iterable[FeedState],
    names: Mapping[str, str],
    *,
    now: float,
    health_after: float,
    rhythms: Mapping[str, Rhythm | None],
) -> list[HealthEvent]:
    """What changed in the feeds' health since the last check (the states are not changed:
    ``check_feeds`` records each event's ``said`` once its alerts are written)."""
    events: list[HealthEvent] = []
    for state in states:
        name = names.get(state.url, state.url)
        rhythm = rhythms.get(state.url)
        # Failed fetches, or bodies whose XML may lose items (kept apart: only the first
        # back off the polls), since the earlier of the two.
        since = min((t for t in (state.failing_since, state.malformed_since) if t is not None),
                    default=None)  # fmt: skip
        failing = since is not None and now - since >= health_after
        quiet = None if state.last_new_item is None else now - state.last_new_item
        stale = (
            not failing
            and quiet is not None
            and state.error_streak == 0
            and (
                # Told: silent until it publishes (its old items may be pruned meanwhile).
                (state.health_alerted == STALE and quiet >= health_after)
                or (
                    rhythm is not None
                    and now - rhythm.since >= MIN_HISTORY
                    and quiet >= rhythm.silent_after(health_after)
                )
            )
        )
        if failing and state.health_alerted != FAILING:
            events.append(
                HealthEvent(
                    state.url, name, "failing", _failing(state, name, now - (since or now)), FAILING
                )
            )
        elif stale and rhythm is not None and state.health_alerted == OK:
            events.append(
                HealthEvent(
                    state.url, name, "stale",
                    f"{name} has published nothing for {_ago(quiet or 0)}; before that it had "
                    f"{rhythm.usual()} and was never quiet for more than "
                    f"{_ago(rhythm.longest_quiet, up=True)}", STALE,
                )
            )  # fmt: skip
        elif (
            not (failing or stale)
            and state.health_alerted != OK
            and state.error_streak == 0
            and state.malformed is None
        ):
            events.append(HealthEvent(state.url, name, "recovered", f"{name} is working again", OK))
    return events


def _failing(state: FeedState, name: str, seconds: float) -> str:
    if state.error_streak:
        return (
            f"{name} has failed for {_ago(seconds)} ({state.error_streak} polls in a row): "
            f"{state.last_error}"
        )
    return f"{name} has sent broken XML for {_ago(seconds)}, items may be lost: {state.malformed}"


async def rhythms(
    db: Db, states: Iterable[FeedState], *, now: float, health_after: float
) -> dict[str, Rhythm | None]:
    """The rhythm of each feed that may have fallen silent: quiet for health_after at least,
    and not yet told (the others need none, and most feeds are not quiet that long)."""
    out: dict[str, Rhythm | None] = {}
    for state in states:
        last = state.last_new_item
        if last is None or now - last < health_after or state.health_alerted != OK:
            continue
        times = await item_store.first_seen_between(
            db, state.id, last - RHYTHM_WINDOW, last + _ROUNDING
        )
        out[state.url] = rhythm_of(times)
    return out


async def check_feeds(
    store: Store,
    states: Iterable[FeedState],
    names: Mapping[str, str],
    *,
    channels: Iterable[str],
    now: float,
    health_after: float,
    silence: bool = True,
) -> list[HealthEvent]:
    """Decide what changed, queue one health alert per event and channel, remember it;
    without ``silence``, no feed is newly told it has published nothing.

    The alerts and the feeds' ``health_alerted`` are written in one transaction, and the
    live states learn it only once that commits: a poll saving its feed meanwhile must not
    store "alerted" for an alert that may yet fail to be written. If it fails, the next
    check raises the alerts again.
    """
    states = list(states)
    channels = list(channels)
    rhythm = await rhythms(store.db, states, now=now, health_after=health_after) if silence else {}
    events = transitions(states, names, now=now, health_after=health_after, rhythms=rhythm)
    if not events:
        return events
    said = {e.url: e.said for e in events}
    changed = [state for state in states if state.url in said]
    await _queue(store, events, changed, said, channels, now)
    for state in changed:
        state.health_alerted = said[state.url]
    return events


async def _queue(
    store: Store,
    events: list[HealthEvent],
    changed: list[FeedState],
    said: dict[str, int],
    channels: list[str],
    now: float,
) -> None:
    from monitor import outbox

    async with store.transaction() as db:
        for event in events:
            await outbox.enqueue_health(
                db,
                channels,
                title=event.message,
                severity="high" if event.kind != "recovered" else "normal",
                extra={"feed": event.url, "health": event.kind},
                dedup_key=f"health:{event.url}:{event.kind}:{int(now)}",
                now=now,
                url=event.url,
            )
        for state in changed:
            await feed_store.save_state(db, replace(state, health_alerted=said[state.url]))
