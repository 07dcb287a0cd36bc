"""outbox.deliver: the channels' workers (``outbox.worker``), started, woken and stopped
together; ``drain`` delivers what can go out now (``monitor once``, the end of a replay)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence

from monitor.channels import Channel
from monitor.channels.policy import RateLimiter
from monitor.models import Alert
from monitor.outbox import storm
from monitor.outbox.status import orphaned, orphaned_message
from monitor.outbox.worker import DIGEST_KINDS, IDLE_MAX, ChannelWorker, Flush
from monitor.store import Store, report
from monitor.store import alerts as rows

__all__ = ["BATCH", "DIGEST_KINDS", "IDLE_MAX", "Deliverer"]

log = logging.getLogger("monitor.outbox")

BATCH = 100  # alerts read per query by a worker


class Deliverer:
    """Delivers the outbox: one worker per channel, until ``stop`` is set.

    ``clock`` gives UNIX seconds for due times, expiry and quiet hours (tests move it);
    pacing between sends (the rate limit) uses the monotonic clock. ``health_channels``
    (``[monitor] health_channels``) are told when a channel holds its alerts.
    """

    def __init__(
        self,
        store: Store,
        channels: Mapping[str, Channel],
        *,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        batch: int = BATCH,
        health_channels: Sequence[str] = (),
    ) -> None:
        self.store = store
        self.channels = dict(channels)
        self.clock = clock
        self._flush = Flush()
        rng = rng or random.Random()
        # Channels writing to the same place (two names, one Telegram chat) share one limiter.
        limiters: dict[str, RateLimiter] = {}
        self._workers = {
            name: ChannelWorker(
                store,
                name,
                channel,
                limiters.setdefault(channel.rate_key, RateLimiter(channel.config.rate_limit)),
                clock=clock,
                rng=rng,
                batch=batch,
                flush=self._flush,
            )
            for name, channel in self.channels.items()
        }
        for name, worker in self._workers.items():
            worker.others = tuple(n for n in health_channels if n != name and n in self._workers)
            worker.wake_others = self.wake
        self._running = False
        self.timed_out = False  # the last drain ended at its timeout, alerts due still

    def __repr__(self) -> str:
        return f"<Deliverer channels={sorted(self.channels)}>"

    def observe_sent(self, on_sent: Callable[[Alert, float, float], None]) -> None:
        """Tell ``on_sent(alert, queued, sent)`` of each alert a channel confirmed."""
        for worker in self._workers.values():
            worker.on_sent = on_sent

    @property
    def sent(self) -> int:
        """Alerts delivered (each alert of a digest counts)."""
        return sum(w.sent for w in self._workers.values())

    def wake(self, channel: str | None = None) -> None:
        """New alerts are in the outbox: look now rather than at the next idle check."""
        for name, worker in self._workers.items():
            if channel is None or name == channel:
                worker.wake.set()

    def name_rules(self, rules: Sequence[str]) -> None:
        """Messages sent or edited from now on name only these rules (the config's): one a
        reload removed or renamed is not named (``outbox.per_event.still_named``)."""
        names = frozenset(rules)
        for worker in self._workers.values():
            worker.rules = names

    async def release_held(self) -> None:
        """The alerts held for a channel's configuration go now (a reload: the operator may
        have fixed what was at fault, in the config or outside it), and those a policy held
        (quiet hours, a digest's window) are decided again under the config in force."""
        await self._release_held()
        self.wake()

    def start(self, stop: asyncio.Event) -> asyncio.Task[None]:
        """Deliver in a task until ``stop`` is set; a send in flight is finished, not abandoned.

        Running from the call, not from the task's first step: a delivery started and drained
        at once (a short replay) would otherwise look idle to ``drain``, which would start a
        second run beside it. Not running once the task is done, however it ends: a done
        callback runs even for a task cancelled before its first step, where no ``finally``
        of its coroutine would."""
        if self._running:
            raise RuntimeError("this Deliverer is already running")
        task = asyncio.get_running_loop().create_task(self._deliver(stop), name="outbox")
        self._running = True
        task.add_done_callback(self._done)
        return task

    def _done(self, _: asyncio.Task[None]) -> None:
        self._running = False

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set, in place (``start`` for a task)."""
        await self.start(stop)

    async def _deliver(self, stop: asyncio.Event) -> None:
        workers: list[asyncio.Task[None]] = []
        try:
            for name, count in (await orphaned(self.store.db, self.channels)).items():
                log.warning("%s", orphaned_message(name, count))
            await self._release_held()
            loop = asyncio.get_running_loop()
            workers = [
                loop.create_task(worker.run(stop), name=f"outbox-{name}")
                for name, worker in self._workers.items()
            ]
            await stop.wait()
            self.wake()
            await asyncio.gather(*workers)
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

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
            own_run = self.start(own_stop)
            await self._release_held()  # before the first count, which must see them due
        self._flush.digests = True
        self._flush.updates = updates
        self.wake()
        self.timed_out = False
        brought: set[int] = set()  # the held alerts released so far (an id is one row's)
        try:
            while time.monotonic() < deadline:
                if own_run is not None and own_run.done():
                    own_run.result()  # a worker crashed: say so rather than wait
                left = deadline - time.monotonic()
                # Storm summaries (and, for a flush, held updates) are released below, not
                # waited for: counted only once due, or the drain would sit out their minute.
                released_here = ("storm", "update") if updates else ("storm",)
                if await self._deliverable_within(self.clock() + left, released_here) == 0:
                    # What waits on purpose goes now too: the storm summaries the workers
                    # folded and, for a flush, the updates held to coalesce (checked last: a
                    # worker may have held one again just before the flush began).
                    # Each once: one a policy holds again (quiet hours) stays held, and the
                    # drain ends rather than release it again till its timeout.
                    released = await storm.send_now(self.store, self.clock(), brought)
                    if updates:
                        async with self.store.transaction() as db:
                            held = await rows.bring_forward_once(
                                db, "update", self.clock(), brought, untried_only=False
                            )
                        released = released or held
                    if not released:
                        break
                    self.wake()  # the workers sleep until the held alerts' old time
                await asyncio.sleep(0.02)
            else:
                self.timed_out = True
        finally:
            self._flush.digests = self._flush.updates = False
            if own_stop is not None and own_run is not None:
                own_stop.set()
                with contextlib.suppress(asyncio.CancelledError):
                    await own_run
        async with self.store.transaction() as db:
            counts = await report.counts(db)
        return all(counts.get(name, {}).get(rows.PENDING, 0) == 0 for name in self.channels)

    async def _release_held(self) -> None:
        # A start, or new channels (a reload that changed them): the config that held
        # these alerts may be fixed, so they are tried again now.
        for worker in self._workers.values():
            await worker.release_held()

    async def _deliverable_within(self, until: float, held: tuple[str, ...]) -> int:
        # Read in a transaction, as the workers do: the connection is shared, and a worker's
        # record half written (its alert marked sent, the edit of a story that grew meanwhile
        # not queued yet) would read as "nothing left" and end the drain with the edit unsent.
        async with self.store.transaction() as db:
            return sum(
                [
                    await rows.deliverable(db, name, until, now=self.clock(), held=held)
                    for name, worker in self._workers.items()
                    if worker.sends_by(until, self.clock())
                ]
            )
