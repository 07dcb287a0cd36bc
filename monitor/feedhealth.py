"""Feed health alerts: a feed that fails for longer than ``health_after``, or goes stale
against its own usual rhythm, raises one alert; one more when it recovers.

``health_alerted`` on the feed's row remembers what was said (0 nothing, 1 failing,
2 stale), so a restart neither repeats an alert nor forgets to say "recovered".
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from monitor.configtypes import format_duration
from monitor.store import Store
from monitor.store import feeds as feed_store
from monitor.store import items as item_store
from monitor.store.db import Db
from monitor.store.feeds import FeedState

OK, FAILING, STALE = 0, 1, 2
# A feed is stale when it has published nothing for this many of its usual gaps...
STALE_GAPS = 6.0
# ...judged on this many recent items, and only when it has at least this many.
RHYTHM_ITEMS, MIN_RHYTHM_ITEMS = 20, 6


@dataclass(frozen=True, slots=True)
class HealthEvent:
    url: str
    name: str
    kind: str  # failing | stale | recovered
    message: str
    said: int  # the feed's health_alerted once this event is written


def _ago(seconds: float) -> str:
    return format_duration(max(60.0, round(seconds / 60) * 60))


def transitions(
    states: Iterable[FeedState],
    names: Mapping[str, str],
    *,
    now: float,
    health_after: float,
    rhythms: Mapping[str, float | None],
) -> list[HealthEvent]:
    """What changed in the feeds' health since the last check (the states are not changed:
    ``check_feeds`` records each event's ``said`` once its alerts are written)."""
    events: list[HealthEvent] = []
    for state in states:
        name = names.get(state.url, state.url)
        gap = rhythms.get(state.url)
        # Failed fetches, or bodies whose XML may lose items (kept apart: only the first
        # back off the polls), since the earlier of the two.
        since = min((t for t in (state.failing_since, state.malformed_since) if t is not None),
                    default=None)  # fmt: skip
        failing = since is not None and now - since >= health_after
        stale = (
            not failing
            and gap is not None
            and state.last_new_item is not None
            and state.error_streak == 0
            and now - state.last_new_item >= max(health_after, STALE_GAPS * gap)
        )
        if failing and state.health_alerted != FAILING:
            events.append(
                HealthEvent(
                    state.url, name, "failing", _failing(state, name, now - (since or now)), FAILING
                )
            )
        elif stale and state.health_alerted == OK:
            quiet = now - (state.last_new_item or now)
            events.append(
                HealthEvent(
                    state.url, name, "stale",
                    f"{name} has published nothing for {_ago(quiet)}; it usually publishes "
                    f"every {_ago(gap or 0)}", STALE,
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


async def rhythms(db: Db, feed_ids: Mapping[str, int]) -> dict[str, float | None]:
    """Each feed's usual gap between new items: the median of its recent gaps (seconds)."""
    out: dict[str, float | None] = {}
    for url, feed_id in feed_ids.items():
        times = sorted(
            {round(t) for t in await item_store.recent_first_seen(db, feed_id, RHYTHM_ITEMS)}
        )
        gaps = [b - a for a, b in itertools.pairwise(times) if b > a]
        out[url] = statistics.median(gaps) if len(gaps) >= MIN_RHYTHM_ITEMS - 1 else None
    return out


async def check_feeds(
    store: Store,
    states: Iterable[FeedState],
    names: Mapping[str, str],
    *,
    channels: Iterable[str],
    now: float,
    health_after: float,
) -> list[HealthEvent]:
    """Decide what changed, queue one health alert per event and channel, remember it.

    The alerts and the feeds' ``health_alerted`` are written in one transaction, and the
    live states learn it only once that commits: a poll saving its feed meanwhile must not
    store "alerted" for an alert that may yet fail to be written. If it fails, the next
    check raises the alerts again.
    """
    states = list(states)
    channels = list(channels)
    rhythm = await rhythms(store.db, {s.url: s.id for s in states})
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
