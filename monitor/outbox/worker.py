"""outbox.worker: one channel's deliveries (see the package's docstring). A worker reads
what is due, holds what must wait (quiet hours, updates to coalesce, a storm, a digest's
window), sends the rest at the channel's pace and records each outcome."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from monitor.channels import Channel
from monitor.channels.policy import RateLimiter, paused_by, quiet_until, retry_delay
from monitor.configtypes import format_duration
from monitor.errors import ChannelError, MonitorError, StoreError
from monitor.models import Alert
from monitor.outbox import held, storm, told
from monitor.outbox.attempt import attempt, call
from monitor.outbox.pace import update_wait
from monitor.outbox.per_event import still_named
from monitor.outbox.unrecorded import Unrecorded
from monitor.outbox.upkeep import expire, follow_up
from monitor.store import Store
from monitor.store import alerts as rows
from monitor.store import feeds as feed_store
from monitor.store.alerts import Due
from monitor.waits import wait_event

log = logging.getLogger("monitor.outbox")

IDLE_MAX = 5.0  # a worker re-reads the outbox at least this often (seconds)
DIGEST_KINDS = frozenset({"new", "burst", "health"})
# A send's record that fails while the store is away is made again after a pause (seconds)
# that doubles up to RECORD_PAUSE_MAX, for as long as the outage lasts: given up, the alerts
# would stay pending and go out again, to the same reader, at every try.
RECORD_PAUSE = 0.2
RECORD_PAUSE_MAX = 5.0
# ... and a stop does not end it at once: a cluster's term ends with the store's outage
# itself (the election's connection drops), and a record given up then is sent again by
# the next term. Shorter than the ten seconds a stop waits for a send in flight
# (engine._stopped).
RECORD_STOP_GRACE = 8.0
# A channel held for a configuration problem tries one alert again (seconds) HOLD_PROBE_FIRST
# later, then twice as long after each refusal, up to every HOLD_PROBE: some are fixed outside
# the config (the bot added back to its chat, unblocked, the mailbox unlocked), most within
# minutes, and a try is one request.
HOLD_PROBE_FIRST = 60.0
HOLD_PROBE = 900.0


@dataclass(slots=True)
class Flush:
    """What a drain sends without waiting: set by the deliverer, read by every worker."""

    digests: bool = False  # digests without waiting for their window
    updates: bool = False  # ... and updates without waiting to coalesce


class ChannelWorker:
    """Delivers one channel's alerts: its wake-up, pace, failures, pause and storm guard."""

    def __init__(
        self,
        store: Store,
        name: str,
        channel: Channel,
        limiter: RateLimiter,
        *,
        clock: Callable[[], float],
        rng: random.Random,
        batch: int,
        flush: Flush,
    ) -> None:
        self.store = store
        self.name = name
        self.channel = channel
        self.limiter = limiter  # shared by channels writing to the same place
        self.clock = clock
        self.batch = batch
        self.flush = flush
        self.wake = asyncio.Event()
        self.paused_until = 0.0  # clock time: after a failure, nothing is sent before it
        self.sent = 0  # alerts delivered (each alert of a digest counts)
        self.on_sent: Callable[[Alert, float, float], None] | None = None  # (alert, queued, sent)
        self._rng = rng
        self._failures = 0  # in a row
        self._sweep_at = 0.0  # the next expiry sweep, clock time
        self._storm = storm.StormGuard(channel.config.storm_limit)
        self.others: tuple[str, ...] = ()  # the other channels: told when this one is held
        self.wake_others: Callable[[], None] = lambda: None
        self._held: str | None = None  # the configuration problem that holds this channel
        self._probe = HOLD_PROBE_FIRST  # ... and how long until it is tried again (seconds)
        self._probe_at = 0.0  # clock time of that try: a refusal before it is of the same burst
        self._was_held = False  # alerts held before this process released them (a start)
        # Alerts of this channel may wait out a retry's back-off (a failure, or a start: an
        # earlier process may have left some): the next send that works makes them due.
        self._backed_off = True
        self._up = False  # the last send worked: a failure now is a hiccup (a rate limit)
        self._hiccup = False  # ... and its alert goes first again once the pause is over
        self._reread = False  # alerts were made due: read the outbox again, in its order
        self.rules: frozenset[str] | None = None  # the config's rules, named (None: any)
        self._redued: set[int] = set()  # made due by _retry_now, not tried since
        self._own_pace: set[int] = set()  # failed again once made due: their own back-off
        self._unrecorded = Unrecorded(name)  # records of sends that fail: said once
        self._stop = asyncio.Event()  # run's: a record waiting for the store ends with it

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set; a send in flight is finished, not abandoned."""
        name, wake = self.name, self.wake
        self._stop = stop
        self._backed_off = True  # another node's sender may have left some (a new term)
        self._redued.clear()  # ... and what this node made due in its last term is old news
        self._up = False
        try:
            since = self.clock() - storm.WINDOW
            self._storm.seed(await rows.sent_since(self.store.db, name, storm.KINDS, since))
        except MonitorError as exc:
            log.error("%s: %s", name, exc)
        while not stop.is_set():
            wake.clear()
            now = self.clock()
            if now >= self._sweep_at:
                self._sweep_at = await expire(self.store, name, self.channel.config, now)
            wait = self.paused_until - now
            if wait > 0:
                await self._sleep(wait)
                continue
            try:
                if self._hiccup:
                    self._hiccup = False
                    await self._retry_now()
                # Read in a write transaction: the pipeline writes through the same
                # connection, and its uncommitted alerts must never be seen (and sent).
                async with self.store.transaction() as db:
                    batch = await rows.due(db, name, now, self.batch)
                    next_due = None if batch else await rows.next_due(db, name)
                    if batch:  # their links may echo the key of a URL another node moved to
                        await feed_store.register_moved(db)
                if batch:
                    await self._process(batch, stop)
                    continue
            except MonitorError as exc:
                log.error("%s: %s", name, exc)
                await self._sleep(IDLE_MAX)
                continue
            except Exception as exc:  # a bug must not silently end this channel's deliveries
                log.error("%s: unexpected %s: %s", name, type(exc).__name__, exc)
                await self._sleep(IDLE_MAX)
                continue
            await self._sleep(IDLE_MAX if next_due is None else next_due - now)

    def sends_by(self, until: float, now: float) -> bool:
        """Whether this channel may send by ``until`` (clock time): not while paused, nor
        while it waits for the next probe of its config (a drain does not wait for one)."""
        if self._held is not None and self.paused_until > now:
            return False
        return self.paused_until <= until

    async def _sleep(self, seconds: float) -> None:
        await wait_event(self.wake, min(max(seconds, 0.005), IDLE_MAX))

    async def _process(self, batch: Sequence[Due], stop: asyncio.Event) -> None:
        config = self.channel.config
        now = self.clock()
        self._reread = False
        # An update that waits for a more urgent message of its growth goes after it, or not.
        batch = await told.settle(self.store, batch, now)
        if self.rules is not None:
            batch = [self._named_now(d, self.rules) for d in batch]
        later: dict[float, list[Due]] = {}
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
                and not self.flush.updates
            ):
                hold = due.created_at + update_wait(config, due)
                until = hold if hold > now else None
            if until is not None:
                later.setdefault(until, []).append(due)
            elif not self._storm.admit(alert, now, admitted):
                held.setdefault(alert.rule or "", []).append(alert)
            elif config.digest > 0 and alert.kind in DIGEST_KINDS:
                digest.append(due)
            else:
                single.append(due)
        if later:
            # Unless changed since it was read: a rule folded in may have made it due now.
            async with self.store.transaction() as db:
                await rows.postpone_each(
                    db,
                    {d.alert.id: t for t, dues in later.items() for d in dues},
                    read={d.alert.id: d.stored for dues in later.values() for d in dues},
                )
        if held:
            # Draining (monitor once): everything is queued already, so the summary can go
            # as soon as the alerts before it were read, not at the minute's end.
            totals = await storm.fold_held(
                self.store, self.name, config.storm_limit, held, now, self.flush.digests
            )
            self._storm.say(self.name, totals, now)
            single = await storm.refreshed(self.store, single)
        if digest:
            await self._deliver_digest(digest, now)
        if single:
            await self._deliver_each(single, stop)

    @staticmethod
    def _named_now(due: Due, rules: frozenset[str]) -> Due:
        """``due`` naming only the rules in the config now; what goes out is recorded sent."""
        alert = still_named(due.alert, rules)
        if alert is due.alert:
            return due
        return replace(due, alert=alert, payload=rows.dump_payload(alert))

    def _as_named(self, due: Due, payload: str) -> str:
        """``payload`` (``due``'s as it shows now) naming only the config's rules, as it went
        out: a rule gone is no growth to follow up (``outbox.upkeep.follow_up``)."""
        if self.rules is None:
            return payload
        alert = rows.load_alert((due.alert.id, due.alert.channel, due.alert.kind, payload))
        named = still_named(alert, self.rules)
        return payload if named is alert else rows.dump_payload(named)

    async def _deliver_digest(self, group: Sequence[Due], now: float) -> None:
        channel = self.channel
        window_end = min(d.created_at for d in group) + channel.config.digest
        if now < window_end and not self.flush.digests:
            # One window per channel: the first alert opens it, the later ones join it
            # (alerts of earlier polls wait for its end), and all go out at its end together.
            async with self.store.transaction() as db:
                opened = await rows.open_window(db, self.name, DIGEST_KINDS, now)
                if opened is not None:
                    window_end = min(window_end, opened)
                read = {d.alert.id: d.stored for d in group}
                await rows.postpone(db, list(read), window_end, read=read)
            return
        for start in range(0, len(group), channel.digest_max):
            part = group[start : start + channel.digest_max]
            if len(part) == 1:
                await self._attempt(part[0])
                continue
            await self.limiter.acquire()
            error = await call(channel, channel.send_digest([d.alert for d in part]))
            await self._record(part, error, external_id=None)
            if error is not None:
                return

    async def _deliver_each(self, batch: Sequence[Due], stop: asyncio.Event) -> None:
        limit = self.channel.config.concurrency
        if limit == 1:
            for due in batch:
                if stop.is_set() or self._reread or not await self._attempt(due):
                    return
            return
        gate = asyncio.Semaphore(limit)
        failed = False

        async def one(due: Due) -> None:
            nonlocal failed
            async with gate:
                if stop.is_set() or failed or self._reread:
                    return
                if not await self._attempt(due):
                    failed = True

        await asyncio.gather(*(one(d) for d in batch))

    async def _attempt(self, due: Due) -> bool:
        """Send or edit one alert and record the outcome; False when the channel failed."""
        await self.limiter.acquire()
        error, external_id = await attempt(self.channel, due)
        await self._record([due], error, external_id=external_id)
        return error is None or (error.permanent and not error.config)

    async def _record_sent(self, group: Sequence[Due], external_id: str | None, now: float) -> None:
        """Record ``group`` sent, as it went out. The message is out already: a record that
        fails while the store is away (a restart, a failover, a dropped connection, a
        transaction aborted in a lock circle with another node's) is made again, not left to
        send it all a second time, for as long as the outage lasts (the channel waits: what
        it sent meanwhile could not be recorded either), or until the worker is stopped (the
        alerts stay pending: the next start sends them again, as after a crash). Not one the
        database refused on a constraint (the store then records no problem): that is a bug,
        which must not hold the channel up."""
        went_out = {d.alert.id: d.payload for d in group}
        ids = [d.alert.id for d in group]
        pause = RECORD_PAUSE
        clock = asyncio.get_running_loop().time
        stopped: float | None = None  # when the stop was first seen, waiting for the store
        while True:
            try:
                async with self.store.transaction() as db:
                    shown = await rows.mark_sent(
                        db, ids, now=now, external_id=external_id, went_out=went_out
                    )
                    # Their updates in id order, as every transaction takes them.
                    for due in sorted(group, key=lambda d: d.alert.id):
                        shown_now = shown.get(due.alert.id, due.payload)
                        if shown_now != due.payload:  # grew, or names a rule gone
                            shown_now = self._as_named(due, shown_now)
                        await follow_up(db, due, external_id, shown_now, now)
                self._unrecorded.recorded()
                return
            except StoreError as exc:
                if self.store.problem() is None:
                    raise
                if self._stop.is_set():
                    stopped = clock() if stopped is None else stopped
                    if clock() - stopped >= RECORD_STOP_GRACE:
                        raise
                self._unrecorded.failed(ids, pause, exc)
                if self._stop.is_set():
                    await asyncio.sleep(min(pause, RECORD_STOP_GRACE))
                else:
                    await wait_event(self._stop, pause)
                pause = min(pause * 2, RECORD_PAUSE_MAX)

    async def _record(
        self, group: Sequence[Due], error: ChannelError | None, *, external_id: str | None
    ) -> None:
        name = self.name
        now = self.clock()
        ids = [d.alert.id for d in group]
        if error is None:
            if self._held is not None or self._was_held:
                self._held, self._was_held = None, False
                log.warning("%s: delivers again; the alerts held for its config go now", name)
                await self.release_held()
                async with self.store.transaction() as db:
                    await held.tell_released(db, name, self.others, now)
                self.wake_others()
            self._failures = 0
            self._redued.difference_update(ids)
            self._own_pace.difference_update(ids)
            self.sent += len(group)
            self._storm.delivered((d.alert for d in group), now)
            await self._record_sent(group, external_id, now)
            for due in group:
                log.info("%s: delivered alert %d (%s) %s", name, due.alert.id, due.alert.kind,
                         due.alert.title[:80])  # fmt: skip
                if self.on_sent is not None:  # the latency histogram (monitor.metrics)
                    self.on_sent(due.alert, due.created_at, now)
            self._up = True
            if self._backed_off and self.paused_until <= now:  # none failed meanwhile
                await self._retry_now()
            return
        if error.config:
            await self._hold(ids, error, now)
            return
        if error.permanent:
            async with self.store.transaction() as db:
                await rows.mark_given_up(db, ids, now=now, status=rows.FAILED, error=str(error))
            log.error("%s: alert %s failed for good: %s", name, ids, error)
            return
        # A rate limit (Telegram 429 retry_after) says when the channel takes the alert: not a
        # failure of the alert or the channel, so no back-off grows (``retry_delay`` waits what
        # it says), and after the pause the alert goes first again (a hiccup).
        limited = error.rate_limited and paused_by(error.retry_after)
        self._failures += 0 if limited else 1
        if self._up and not limited:  # the send before worked: this alert fails, not the channel
            self._own_pace.update(i for i in ids if i in self._redued)
        else:  # the channel is down: the alert goes in the next catch-up, in its order
            self._own_pace.difference_update(ids)
        self._redued.difference_update(ids)
        self._backed_off = True
        self._hiccup, self._up = self._up or limited, False
        attempts = max(self._failures, *(d.attempts + 1 for d in group))
        delay = retry_delay(self.channel.config, error.retry_after, attempts, self._rng, limited)
        if error.retry_after is not None:
            self.limiter.block_for(delay)
        self.paused_until = now + delay
        async with self.store.transaction() as db:
            await rows.mark_retry(db, ids, now=now, next_attempt=now + delay, error=str(error))
        log.warning("%s: alert %s not delivered, retry in %.1fs: %s", name, ids, delay, error)

    async def _retry_now(self) -> None:
        """The channel works: its alerts that wait out a retry's back-off are due now, to go
        out in the order they happened (``store.alerts.retry_now``), not each when its own
        back-off ends (the oldest, tried most, last). Those a policy holds stay held."""
        async with self.store.transaction() as db:
            made = await rows.retry_now(db, self.name, skip=self._own_pace)
            if made:
                self._redued.update(made)
                self._reread = True
        self._backed_off = False

    async def _hold(self, ids: Sequence[int], error: ChannelError, now: float) -> None:
        """The channel's config is at fault, not the alerts: they wait (pending, not failed,
        up to ``expire_after``) until a reload or a restart, or the next probe, sends them.
        Said once, in one line, and to the other channels as a health alert."""
        first, self._held = self._held is None, str(error)
        if first:
            self._probe = HOLD_PROBE_FIRST
        elif now >= self._probe_at:  # a probe refused (not another send of the same burst)
            self._probe = min(self._probe * 2, HOLD_PROBE)
        probe = self._probe
        # Set before the transaction: the burst's other sends (concurrency > 1), refused
        # meanwhile, must not each double it (review18d: 60 s became 480).
        self._probe_at = max(self._probe_at, now + probe) if not first else now + probe
        async with self.store.transaction() as db:
            await rows.mark_retry(db, ids, now=now, next_attempt=now + probe, error=str(error))
            if first:
                await held.tell_others(db, self.name, self.others, error, now)
        # Paused once the health alerts are in: a drain counting what is left must not see
        # this channel paused while the alerts it just queued elsewhere are not there yet.
        self.paused_until = now + probe
        if first:
            self.wake_others()
            log.error(
                "%s: alerts wait in the outbox until the config is fixed (then reload; a secret "
                "read from the environment needs a restart; tried again in %s, then less often, "
                "up to every %s): %s",
                self.name, format_duration(probe), format_duration(HOLD_PROBE), error,
            )  # fmt: skip
        else:
            log.debug("%s: still held (%s)", self.name, error)

    async def release_held(self) -> None:
        """Make this channel's alerts held for a configuration problem due now, and those a
        policy held (quiet hours, a digest's window, an update's delay): at a start or a
        reload, the config in force decides again when they go (a retry's back-off stays)."""
        if self._held is not None:
            self.paused_until = 0.0  # paused only for the probe: try now
        try:
            async with self.store.transaction() as db:
                now = self.clock()
                released = await rows.release_held(db, self.name, now)
                await rows.release_postponed(db, self.name, now, storm_window=storm.WINDOW)
            # Held by an earlier process (``monitor once`` from cron): the health channels were
            # told then, and are told the all-clear when it delivers.
            self._was_held = self._was_held or (released > 0 and self._held is None)
        except MonitorError as exc:
            log.error("%s: %s", self.name, exc)
