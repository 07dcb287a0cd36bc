"""outbox: alerts written with the story that causes them, then delivered by channel workers.

Enqueue side (called inside the pipeline's transaction, so a story and its alerts are
stored together or not at all):
- ``on_match``: one "new" alert per channel of the rule, keyed ``new:STORY:RULE``; a second
  match of the same story and rule inserts nothing (``UNIQUE(channel, dedup_key)``).
- ``on_story_grew``: a story gained outlets. A pending alert just gets the new outlet list;
  a sent one on a channel that can edit gets one coalesced "update" (``update:ALERT``).
  Both check the rule's ``burst``: one escalated "burst" alert per channel, once.

Delivery side: ``Deliverer`` runs one worker per channel. Each try is recorded in
``alert_attempts``; failures back off exponentially with jitter, or as long as the channel
asks (Telegram ``retry_after``); a permanent refusal marks the alert ``failed``, and one not
delivered within ``expire_after`` is ``expired``. Both stay visible in ``monitor status``.

Exactly once, as far as it can be: an alert is marked sent in its own transaction right
after the channel accepted it. A crash (kill -9, power loss) in the few milliseconds between
the channel's answer and that commit leaves it pending, and it is sent again at the next
start: at most ``concurrency`` (default 1) duplicate messages per channel per crash. No
Bot API or SMTP idempotency key exists to close that window; the webhook sends
``X-Monitor-Alert-Id`` so a receiver can.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from typing import Any

import aiosqlite

from monitor.channels import Channel
from monitor.channels.policy import RateLimiter, backoff, quiet_until
from monitor.configtypes import format_duration
from monitor.errors import ChannelError, MonitorError
from monitor.match.config import RuleConfig
from monitor.models import Alert, Match, Story
from monitor.store import Store
from monitor.store import outbox as rows
from monitor.store.outbox import Due

log = logging.getLogger("monitor.outbox")

BATCH = 100  # alerts read per query by a worker
IDLE_MAX = 5.0  # a worker re-reads the outbox at least this often (seconds)
DIGEST_KINDS = frozenset({"new", "burst", "health"})
_ESCALATE = {"low": "normal", "normal": "high", "high": "urgent", "urgent": "urgent"}


# --- enqueue --------------------------------------------------------------------------------


async def enqueue(
    db: aiosqlite.Connection,
    *,
    kind: str,
    channel: str,
    alert: Alert,
    dedup_key: str,
    now: float,
) -> int | None:
    """Queue ``alert`` (its id, kind and channel replaced) unless ``(channel, dedup_key)`` is
    already in the outbox; the new alert's id, else None. Call inside a transaction."""
    return await rows.insert(
        db, replace(alert, id=0, kind=kind, channel=channel), dedup_key=dedup_key, now=now
    )


async def on_match(
    db: aiosqlite.Connection, *, story: Story, match: Match, rule: RuleConfig, now: float
) -> list[int]:
    """A rule matched an item of ``story``: one "new" alert per channel of the rule (once per
    story, channel and rule), and a "burst" alert if the rule's burst condition now holds."""
    extra: dict[str, str] = {}
    if rule.burst is not None:
        # Kept with the alert so ``on_story_grew`` can check the burst without the rules.
        extra = {
            "burst_outlets": str(rule.burst.outlets),
            "burst_within": repr(rule.burst.within),
            "burst_within_text": format_duration(rule.burst.within),
        }
    ids: list[int] = []
    for channel in dict.fromkeys(rule.channels or match.channels):
        alert = Alert(
            id=0,
            channel=channel,
            kind="new",
            title=story.title,
            rule=rule.name,
            severity=rule.severity,
            story_id=story.id,
            url=story.url,
            outlets=story.outlets,
            terms=tuple(match.terms),
            snippet=match.snippet,
            published=story.first_seen,
            extra=extra,
        )
        new_id = await rows.insert(db, alert, dedup_key=f"new:{story.id}:{rule.name}", now=now)
        if new_id is not None:
            ids.append(new_id)
        if rule.burst is not None:
            burst_id = await _maybe_burst(db, story, alert, now)
            if burst_id is not None:
                ids.append(burst_id)
    return ids


async def on_story_grew(
    db: aiosqlite.Connection,
    *,
    story: Story,
    now: float,
    alerts: Sequence[tuple[Due, str]] | None = None,
) -> None:
    """``story`` gained outlets: refresh its pending alerts, queue (or refresh) one update of
    each message already sent on a channel that can edit, and check the bursts.

    ``alerts``: the story's alerts (``rows.stories_alerts``) when the caller read them for
    many stories at once; read here otherwise.
    """
    if alerts is None:
        alerts = await rows.story_alerts(db, story.id)
    for due, status in alerts:
        alert = due.alert
        if alert.kind == "new" and "burst_outlets" in alert.extra:
            await _maybe_burst(db, story, alert, now)
        if alert.outlets == story.outlets:
            continue
        fresh = replace(alert, outlets=story.outlets)
        if status == rows.PENDING:
            await rows.set_payload(db, alert.id, fresh)
        elif status == rows.SENT and due.external_id:
            update = replace(fresh, kind="update", extra={**alert.extra, "of_kind": alert.kind})
            await rows.upsert_update(
                db,
                update,
                dedup_key=f"update:{alert.id}",
                external_id=due.external_id,
                now=now,
                due=now,
            )


async def _maybe_burst(
    db: aiosqlite.Connection, story: Story, base: Alert, now: float
) -> int | None:
    """One "burst" alert per (story, rule, channel) once K outlets carry it within T."""
    need = int(base.extra["burst_outlets"])
    within = float(base.extra["burst_within"])
    key = f"burst:{story.id}:{base.rule}"
    if len(story.outlets) < need or await rows.has_key(db, base.channel, key):
        return None
    count = await _outlets_within(db, story, now - within)
    if count < need:
        return None
    burst = replace(
        base,
        kind="burst",
        severity=_ESCALATE.get(base.severity, "high"),
        outlets=story.outlets,
        extra={**base.extra, "burst_count": str(count)},
    )
    return await rows.insert(db, burst, dedup_key=key, now=now)


async def _outlets_within(db: aiosqlite.Connection, story: Story, since: float) -> int:
    """Distinct feeds with an item of the story first seen since ``since``."""
    async with db.execute(
        "SELECT COUNT(DISTINCT feed_id), COUNT(*) FROM items"
        " WHERE story_id = ? AND first_seen >= ?",
        (story.id, since),
    ) as cur:
        row = await cur.fetchone()
    if row and row[1]:
        return int(row[0])
    # No items stored for it (a story built by hand): all its outlets count if it began
    # within the window, none otherwise.
    return len(story.outlets) if story.first_seen.timestamp() >= since else 0


# --- status ---------------------------------------------------------------------------------


async def orphaned(db: aiosqlite.Connection, channels: Collection[str]) -> dict[str, int]:
    """Pending alerts of channels that are no longer configured: kept, not delivered."""
    counts = await rows.counts(db)
    return {
        name: by_status[rows.PENDING]
        for name, by_status in sorted(counts.items())
        if name not in channels and by_status.get(rows.PENDING)
    }


def orphaned_message(channel: str, count: int) -> str:
    return (
        f"{count} alert(s) wait for channel {channel!r}, which is no longer in the config: "
        "they are kept, and sent if a channel of that name comes back"
    )


async def outbox_status(
    db: aiosqlite.Connection, channels: Collection[str] | None = None
) -> dict[str, Any]:
    """For ``monitor status``: alerts by channel and status, those given up with why, and
    (given the configured ``channels``) the pending alerts no configured channel delivers."""
    counts = await rows.counts(db)
    pending = sum(c.get(rows.PENDING, 0) for c in counts.values())
    async with db.execute("SELECT MIN(created_at) FROM alerts WHERE status = 'pending'") as cur:
        row = await cur.fetchone()
    oldest = float(row[0]) if row and row[0] is not None else None
    return {
        "pending": pending,
        "oldest_pending_age": round(time.time() - oldest, 1) if oldest else None,
        "by_channel": counts,
        "failed": await rows.given_up(db),
        "orphaned": {} if channels is None else await orphaned(db, channels),
    }


def render_status(report: Mapping[str, Any]) -> list[str]:
    """``outbox_status`` as lines for ``monitor status``: depth per channel, then each alert
    given up with its error."""
    lines = [f"Outbox: {report['pending']} pending"]
    for channel, by_status in sorted(report["by_channel"].items()):
        counts = ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
        lines.append(f"  {channel}: {counts}")
    for channel, count in report.get("orphaned", {}).items():
        lines.append(f"  WARNING {orphaned_message(channel, count)}")
    for failed in report["failed"]:
        lines.append(
            f"  {failed['status'].upper()} #{failed['id']} {failed['channel']} "
            f"({failed['kind']}, {failed['attempts']} attempts) {failed['title'][:60]!r}: "
            f"{failed['last_error']}"
        )
    return lines


# --- delivery -------------------------------------------------------------------------------


class Deliverer:
    """Delivers the outbox: one worker per channel, until ``stop`` is set.

    ``clock`` gives UNIX seconds for due times, expiry and quiet hours (tests move it);
    pacing between sends (the rate limit) uses the monotonic clock.
    """

    def __init__(
        self,
        store: Store,
        channels: Mapping[str, Channel],
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        batch: int = BATCH,
    ) -> None:
        self.store = store
        self.channels = dict(channels)
        self.clock = clock
        self.batch = batch
        self._rng = rng or random.Random()
        self._wake = {name: asyncio.Event() for name in self.channels}
        # Channels writing to the same place (two names, one Telegram chat) share one limiter.
        shared: dict[str, RateLimiter] = {}
        self._limiters = {
            n: shared.setdefault(c.rate_key, RateLimiter(c.config.rate_limit))
            for n, c in self.channels.items()
        }
        self._failures = dict.fromkeys(self.channels, 0)  # consecutive failures
        self._paused_until = dict.fromkeys(self.channels, 0.0)  # clock time
        self._flush = False  # deliver digests without waiting for their window (drain)
        self._running = False
        self.sent = 0  # alerts delivered (each alert of a digest counts)

    def __repr__(self) -> str:
        return f"<Deliverer channels={sorted(self.channels)}>"

    def wake(self, channel: str | None = None) -> None:
        """New alerts are in the outbox: look now rather than at the next idle check."""
        for name, event in self._wake.items():
            if channel is None or name == channel:
                event.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; a send in flight is finished, not abandoned."""
        if self._running:
            raise RuntimeError("this Deliverer is already running")
        self._running = True
        workers: list[asyncio.Task[None]] = []
        try:
            for name, count in (await orphaned(self.store.db, self.channels)).items():
                log.warning("outbox: %s", orphaned_message(name, count))
            loop = asyncio.get_running_loop()
            workers = [
                loop.create_task(self._worker(name, channel, stop), name=f"outbox-{name}")
                for name, channel in self.channels.items()
            ]
            await stop.wait()
            self.wake()
            await asyncio.gather(*workers)
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            self._running = False

    async def drain(self, timeout: float) -> bool:  # noqa: ASYNC109 (the API monitor once uses)
        """Deliver until nothing more can go out within ``timeout`` seconds (``monitor once``);
        True when no alert is left pending. Digests go out without waiting for their window.
        Starts the workers itself when ``run`` is not running."""
        deadline = time.monotonic() + timeout
        own_stop: asyncio.Event | None = None
        own_run: asyncio.Task[None] | None = None
        if not self._running:
            own_stop = asyncio.Event()
            own_run = asyncio.get_running_loop().create_task(self.run(own_stop))
        self._flush = True
        self.wake()
        try:
            while time.monotonic() < deadline:
                if own_run is not None and own_run.done():
                    own_run.result()  # a worker crashed: say so rather than wait
                left = deadline - time.monotonic()
                if await self._deliverable_within(self.clock() + left) == 0:
                    break
                await asyncio.sleep(0.02)
        finally:
            self._flush = False
            if own_stop is not None and own_run is not None:
                own_stop.set()
                with contextlib.suppress(asyncio.CancelledError):
                    await own_run
        counts = await rows.counts(self.store.db)
        return all(counts.get(name, {}).get(rows.PENDING, 0) == 0 for name in self.channels)

    async def _deliverable_within(self, until: float) -> int:
        total = 0
        for name in self.channels:
            if self._paused_until[name] > until:
                continue
            async with self.store.db.execute(
                "SELECT COUNT(*) FROM alerts WHERE status = 'pending' AND channel = ?"
                " AND next_attempt <= ?",
                (name, until),
            ) as cur:
                row = await cur.fetchone()
            total += int(row[0]) if row else 0
        return total

    # --- one channel ---

    async def _worker(self, name: str, channel: Channel, stop: asyncio.Event) -> None:
        wake = self._wake[name]
        while not stop.is_set():
            wake.clear()
            now = self.clock()
            wait = self._paused_until[name] - now
            if wait > 0:
                await self._sleep(wake, wait)
                continue
            try:
                # Read in a write transaction: the pipeline writes through the same
                # connection, and its uncommitted alerts must never be seen (and sent).
                async with self.store.transaction() as db:
                    batch = await rows.due(db, name, now, self.batch)
                    next_due = None if batch else await rows.next_due(db, name)
                if batch:
                    await self._process(name, channel, batch, stop)
                    continue
            except MonitorError as exc:
                log.error("outbox %s: %s", name, exc)
                await self._sleep(wake, IDLE_MAX)
                continue
            except Exception as exc:  # a bug must not silently end this channel's deliveries
                log.error("outbox %s: unexpected %s: %s", name, type(exc).__name__, exc)
                await self._sleep(wake, IDLE_MAX)
                continue
            await self._sleep(wake, IDLE_MAX if next_due is None else next_due - now)

    async def _sleep(self, wake: asyncio.Event, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), timeout=min(max(seconds, 0.005), IDLE_MAX))

    async def _process(
        self, name: str, channel: Channel, batch: Sequence[Due], stop: asyncio.Event
    ) -> None:
        config = channel.config
        now = self.clock()
        expired: list[Due] = []
        later: dict[float, list[int]] = {}
        digest: list[Due] = []
        single: list[Due] = []
        for due in batch:
            alert = due.alert
            if now - due.created_at > config.expire_after:
                expired.append(due)
                continue
            until = quiet_until(config, now, alert.severity)
            if until is None and alert.kind == "update" and config.update_delay > 0:
                hold = due.created_at + config.update_delay
                until = hold if hold > now else None
            if until is not None:
                later.setdefault(until, []).append(alert.id)
            elif config.digest > 0 and alert.kind in DIGEST_KINDS:
                digest.append(due)
            else:
                single.append(due)
        if expired or later:
            async with self.store.transaction() as db:
                for until, ids in later.items():
                    await rows.postpone(db, ids, until)
                for due in expired:
                    error = (
                        f"expired: not delivered within {format_duration(config.expire_after)}"
                        f" ({due.attempts} attempts)"
                    )
                    await rows.mark_given_up(
                        db, [due.alert.id], now=now, status=rows.EXPIRED, error=error
                    )
                    log.error("outbox %s: alert %d %s", name, due.alert.id, error)
        if digest:
            await self._deliver_digest(name, channel, digest, now)
        if single:
            await self._deliver_each(name, channel, single, stop)

    async def _deliver_digest(
        self, name: str, channel: Channel, group: Sequence[Due], now: float
    ) -> None:
        window_end = min(d.created_at for d in group) + channel.config.digest
        if now < window_end and not self._flush:
            async with self.store.transaction() as db:
                await rows.postpone(db, [d.alert.id for d in group], window_end)
            return
        for start in range(0, len(group), channel.digest_max):
            part = group[start : start + channel.digest_max]
            if len(part) == 1:
                await self._attempt(name, channel, part[0])
                continue
            await self._limiters[name].acquire()
            error = await self._call(channel, channel.send_digest([d.alert for d in part]))
            await self._record(name, channel, part, error, external_id=None)
            if error is not None:
                return

    async def _deliver_each(
        self, name: str, channel: Channel, batch: Sequence[Due], stop: asyncio.Event
    ) -> None:
        limit = channel.config.concurrency
        if limit == 1:
            for due in batch:
                if stop.is_set() or not await self._attempt(name, channel, due):
                    return
            return
        gate = asyncio.Semaphore(limit)
        failed = False

        async def one(due: Due) -> None:
            nonlocal failed
            async with gate:
                if stop.is_set() or failed:
                    return
                if not await self._attempt(name, channel, due):
                    failed = True

        await asyncio.gather(*(one(d) for d in batch))

    async def _attempt(self, name: str, channel: Channel, due: Due) -> bool:
        """Send or edit one alert and record the outcome; False when the channel failed."""
        await self._limiters[name].acquire()
        alert = due.alert
        external_id: str | None = None
        if alert.kind == "update":
            if due.external_id and channel.can_edit:
                error = await self._call(channel, channel.edit(alert, due.external_id))
            else:  # the channel no longer edits (config changed): nothing to update
                error = None
        else:
            holder: list[str | None] = []
            error = await self._call(channel, self._send_into(channel, alert, holder))
            external_id = holder[0] if holder else None
        await self._record(name, channel, [due], error, external_id=external_id)
        return error is None or error.permanent

    @staticmethod
    async def _send_into(channel: Channel, alert: Alert, holder: list[str | None]) -> None:
        holder.append(await channel.send(alert))

    async def _call(self, channel: Channel, call: Any) -> ChannelError | None:
        """Await a channel call; the ChannelError it raised (or made of a surprise), or None."""
        try:
            # The channel has its own timeout; this one only catches a channel that hangs.
            await asyncio.wait_for(call, timeout=channel.config.timeout + 5)
        except ChannelError as exc:
            return exc
        except TimeoutError:
            return ChannelError(f"{channel.name}: no answer within {channel.config.timeout:g}s")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in a channel must not kill its worker
            # Only the class name: an unknown exception's text may hold a URL with a secret.
            log.error("outbox %s: unexpected %s from the channel", channel.name, type(exc).__name__)
            return ChannelError(f"{channel.name}: unexpected error {exc.__class__.__name__}")
        return None

    async def _record(
        self,
        name: str,
        channel: Channel,
        group: Sequence[Due],
        error: ChannelError | None,
        *,
        external_id: str | None,
    ) -> None:
        now = self.clock()
        ids = [d.alert.id for d in group]
        if error is None:
            self._failures[name] = 0
            self.sent += len(group)
            async with self.store.transaction() as db:
                await rows.mark_sent(db, ids, now=now, external_id=external_id)
                for due in group:
                    await self._follow_up(db, due, external_id, now)
            for due in group:
                log.info("%s: delivered alert %d (%s) %s", name, due.alert.id, due.alert.kind,
                         due.alert.title[:80])  # fmt: skip
            return
        if error.permanent:
            async with self.store.transaction() as db:
                await rows.mark_given_up(db, ids, now=now, status=rows.FAILED, error=str(error))
            log.error("%s: alert %s failed for good: %s", name, ids, error)
            return
        self._failures[name] += 1
        attempts = max(self._failures[name], *(d.attempts + 1 for d in group))
        delay = (
            error.retry_after
            if error.retry_after is not None
            else backoff(channel.config, attempts, self._rng)
        )
        if error.retry_after is not None:
            self._limiters[name].block_for(error.retry_after)
        self._paused_until[name] = now + delay
        async with self.store.transaction() as db:
            await rows.mark_retry(db, ids, now=now, next_attempt=now + delay, error=str(error))
        log.warning("%s: alert %s not delivered, retry in %.1fs: %s", name, ids, delay, error)

    async def _follow_up(
        self, db: aiosqlite.Connection, due: Due, external_id: str | None, now: float
    ) -> None:
        """The story grew while its alert was being sent: queue an update of the message."""
        if external_id is None or due.alert.kind not in ("new", "burst"):
            return
        current = await rows.current(db, due.alert.id)
        if current is None or current[0] == due.payload:
            return
        fresh = rows.load_alert((due.alert.id, due.alert.channel, due.alert.kind, current[0]))
        update = replace(fresh, kind="update", extra={**fresh.extra, "of_kind": fresh.kind})
        await rows.upsert_update(
            db, update, dedup_key=f"update:{fresh.id}", external_id=external_id, now=now, due=now
        )
