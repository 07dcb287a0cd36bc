"""outbox.deliver: one worker per channel sends what is due (see the package's docstring)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from monitor.channels import Channel
from monitor.channels.policy import RateLimiter, quiet_until, retry_delay
from monitor.errors import ChannelError, MonitorError
from monitor.models import Alert
from monitor.outbox import storm
from monitor.outbox.attempt import attempt, call
from monitor.outbox.status import orphaned, orphaned_message
from monitor.outbox.upkeep import expire, follow_up
from monitor.store import Store, report
from monitor.store import alerts as rows
from monitor.store.alerts import Due

log = logging.getLogger("monitor.outbox")

BATCH = 100  # alerts read per query by a worker
IDLE_MAX = 5.0  # a worker re-reads the outbox at least this often (seconds)
DIGEST_KINDS = frozenset({"new", "burst", "health"})


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
        self._sweep_at = dict.fromkeys(self.channels, 0.0)  # the next expiry sweep, clock time
        self._storms = {n: storm.StormGuard(c.config.storm_limit) for n, c in self.channels.items()}
        self._flush = False  # deliver digests without waiting for their window (drain)
        self._flush_updates = False  # ... and updates without waiting to coalesce
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

    async def drain(self, timeout: float, *, updates: bool = False) -> bool:  # noqa: ASYNC109
        """Deliver until nothing more can go out within ``timeout`` seconds (``monitor once``);
        True when no alert is left pending. Digests go out without waiting for their window;
        with ``updates``, so do updates held to coalesce (the end of a replay).
        Starts the workers itself when ``run`` is not running."""
        deadline = time.monotonic() + timeout
        own_stop: asyncio.Event | None = None
        own_run: asyncio.Task[None] | None = None
        if not self._running:
            own_stop = asyncio.Event()
            own_run = asyncio.get_running_loop().create_task(self.run(own_stop))
        self._flush = True
        self._flush_updates = updates
        self.wake()
        try:
            while time.monotonic() < deadline:
                if own_run is not None and own_run.done():
                    own_run.result()  # a worker crashed: say so rather than wait
                left = deadline - time.monotonic()
                if await self._deliverable_within(self.clock() + left) == 0:
                    # What waits on purpose goes now too: the storm summaries the workers
                    # folded and, for a flush, the updates held to coalesce (checked last: a
                    # worker may have held one again just before the flush began).
                    released = await storm.send_now(self.store, self.clock())
                    if updates:
                        async with self.store.transaction() as db:
                            held = await rows.bring_forward(
                                db, "update", self.clock(), untried_only=False
                            )
                        released = released or held > 0
                    if not released:
                        break
                    self.wake()  # the workers sleep until the held alerts' old time
                await asyncio.sleep(0.02)
        finally:
            self._flush = self._flush_updates = False
            if own_stop is not None and own_run is not None:
                own_stop.set()
                with contextlib.suppress(asyncio.CancelledError):
                    await own_run
        counts = await report.counts(self.store.db)
        return all(counts.get(name, {}).get(rows.PENDING, 0) == 0 for name in self.channels)

    async def _deliverable_within(self, until: float) -> int:
        return sum(
            [
                await rows.deliverable(self.store.db, name, until)
                for name in self.channels
                if self._paused_until[name] <= until
            ]
        )

    # --- one channel ---

    async def _worker(self, name: str, channel: Channel, stop: asyncio.Event) -> None:
        wake = self._wake[name]
        try:
            since = self.clock() - storm.WINDOW
            self._storms[name].seed(await rows.sent_since(self.store.db, name, storm.KINDS, since))
        except MonitorError as exc:
            log.error("outbox %s: %s", name, exc)
        while not stop.is_set():
            wake.clear()
            now = self.clock()
            if now >= self._sweep_at[name]:
                self._sweep_at[name] = await expire(self.store, name, channel.config, now)
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
        later: dict[float, list[int]] = {}
        held: dict[str, list[Alert]] = {}
        admitted: Counter[str] = Counter()
        digest: list[Due] = []
        single: list[Due] = []
        for due in batch:
            alert = due.alert
            until = quiet_until(config, now, alert.severity)
            # The end of a replay (drain with updates=True) sends the updates held to coalesce.
            if (
                until is None
                and alert.kind == "update"
                and config.update_delay > 0
                and not self._flush_updates
            ):
                hold = due.created_at + config.update_delay
                until = hold if hold > now else None
            if until is not None:
                later.setdefault(until, []).append(alert.id)
            elif not self._storms[name].admit(alert, now, admitted):
                held.setdefault(alert.rule or "", []).append(alert)
            elif config.digest > 0 and alert.kind in DIGEST_KINDS:
                digest.append(due)
            else:
                single.append(due)
        if later:
            async with self.store.transaction() as db:
                for until, ids in later.items():
                    await rows.postpone(db, ids, until)
        if held:
            # Draining (monitor once): everything is queued already, so the summary can go
            # as soon as the alerts before it were read, not at the minute's end.
            await storm.fold_held(self.store, name, config.storm_limit, held, now, self._flush)
            single = await storm.refreshed(self.store, single)
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
            error = await call(channel, channel.send_digest([d.alert for d in part]))
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
        error, external_id = await attempt(channel, due)
        await self._record(name, channel, [due], error, external_id=external_id)
        return error is None or error.permanent

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
            self._storms[name].delivered((d.alert for d in group), now)
            async with self.store.transaction() as db:
                await rows.mark_sent(db, ids, now=now, external_id=external_id)
                for due in group:
                    await follow_up(db, due, external_id, now)
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
        delay = retry_delay(channel.config, error.retry_after, attempts, self._rng)
        if error.retry_after is not None:
            self._limiters[name].block_for(delay)
        self._paused_until[name] = now + delay
        async with self.store.transaction() as db:
            await rows.mark_retry(db, ids, now=now, next_attempt=now + delay, error=str(error))
        log.warning("%s: alert %s not delivered, retry in %.1fs: %s", name, ids, delay, error)
