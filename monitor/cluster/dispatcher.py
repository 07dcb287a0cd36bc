"""cluster.dispatcher: the scheduler of a node that shares its feeds with others.

The same contract as ``schedule.FeedScheduler`` (the daemon drives either), but the due-queue
is the ``feed_leases`` table: the dispatcher takes due feeds in batches as leases, polls them
(at most ``max_polls`` at once) and hands each back with its next time. Which node polls a feed
is whoever takes it first; a dead node's leases run out and its feeds are due for the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import asyncpg

from monitor.cluster.node import Node
from monitor.fetch import since_request_could_leave
from monitor.schedule import RETRY_AFTER_BUG, Dispatching, PollJob
from monitor.store import leases as lease_store
from monitor.waits import wait_event

log = logging.getLogger("monitor.cluster")

IDLE_MAX = 1.0  # seconds: how long an idle dispatcher waits before asking for due feeds again


class LeasedScheduler(Dispatching):
    """Polls the due feeds this node manages to lease, until ``shutdown``."""

    def __init__(
        self,
        poll: PollJob,
        node: Node,
        *,
        max_polls: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self._poll = poll
        self.node = node
        self.max_polls = max_polls
        self._clock = clock
        self._feeds: dict[str, float] = {}  # configured feeds: first due (a delay) if new
        self._dirty = True  # the configured feeds are not yet in the table
        # Polls ended, feeds not yet handed back: (url, delay, gap), see ``lease_store.hand_back``
        self._done: list[tuple[str, float, float]] = []
        # Polls cancelled, feeds not yet handed back: (url, sent), see ``hand_back_stopped``
        self._stopped: list[tuple[str, float | None]] = []
        self._forward: dict[str, float] = {}  # feeds due sooner than the table says (at)
        self.polls = 0  # polls this node ran

    def schedule_feed(self, url: str, at: float) -> None:
        """A configured feed; if the cluster does not know it yet it is due at ``at``. Its
        time in the table is shared: a feed known already keeps it."""
        self._feeds[url] = max(0.0, at - self._clock())
        self._dirty = True
        self._wake.set()

    def bring_forward(self, url: str, at: float) -> None:
        """Make a known feed due at ``at`` if the table has it due later (a shorter interval)."""
        self._forward[url] = at
        self._wake.set()

    def unschedule_feed(self, url: str) -> None:
        self._feeds.pop(url, None)
        self._dirty = True
        self._wake.set()

    def scheduled_feeds(self) -> set[str]:
        """Every configured feed has its next poll in the shared table (or is being polled)."""
        return set(self._feeds)

    async def _dispatch(self) -> None:
        pool = self.node.pool
        while True:
            self._wake.clear()
            timeout = IDLE_MAX
            leases: list[lease_store.Lease] = []
            try:
                async with pool.acquire() as conn:
                    if self._dirty:
                        await lease_store.sync(conn, list(self._feeds.items()))
                        self._dirty = False
                    await self._bring_forward(conn)
                    # The polls that ended since the last round go back in one statement.
                    await self._hand_back(conn)
                    free = self.max_polls - len(self._polling)
                    want = min(free, self.node.timing.batch)
                    leases = await lease_store.take_due(
                        conn, self.node.id, want, self.node.timing.lease
                    )
                    if want and len(leases) < want:
                        until = await lease_store.next_due(conn)
                        if until is not None:
                            timeout = min(IDLE_MAX, until)
                    else:
                        timeout = 0.0 if want else IDLE_MAX
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                # The leases run out and other nodes poll the feeds then: late, not lost.
                log.warning("cluster: cannot reach the database: %s", exc)
            loop = asyncio.get_running_loop()
            for lease in leases:
                url = lease.feed_url
                self._polling[url] = loop.create_task(self._run(url))
            if self.node.metrics is not None:
                self.node.metrics.leased.set(len(self._polling))
            if timeout > 0:
                await wait_event(self._wake, timeout)

    async def _bring_forward(self, conn: asyncpg.Connection) -> None:
        forward, self._forward = self._forward, {}
        try:
            for url, at in forward.items():
                await lease_store.bring_forward(conn, url, max(0.0, at - self._clock()))
        except BaseException:
            self._forward = forward | self._forward  # tried again next round
            raise

    async def _hand_back(self, conn: asyncpg.Connection) -> None:
        done, self._done = self._done, []
        stopped, self._stopped = self._stopped, []
        try:
            back = await lease_store.hand_back(conn, self.node.id, done)
            back += await lease_store.hand_back_stopped(conn, self.node.id, stopped)
        except BaseException:
            self._done[:0] = done  # tried again next round
            self._stopped[:0] = stopped
            raise
        lost = {url for url, _, _ in done} | {url for url, _ in stopped}
        for url in lost - set(back):
            if self.node.metrics is not None:
                self.node.metrics.lost.inc()
            log.warning("cluster: lost the lease while polling (another node has it now)",
                        extra={"feed": url})  # fmt: skip

    async def flush(self) -> None:
        """Hand back the polls that ended after ``shutdown`` (the daemon's last step)."""
        if self._done or self._stopped:
            try:
                async with self.node.pool.acquire() as conn:
                    await self._hand_back(conn)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("cluster: cannot hand feeds back (their leases run out): %s", exc)

    async def _run(self, url: str) -> None:
        at: float | None = None
        cancelled = False
        started = self._clock()
        try:
            at = await self._poll(url)
        except asyncio.CancelledError:
            cancelled = True
            raise
        except Exception:
            log.exception("the poll failed unexpectedly; trying again later", extra={"feed": url})
        finally:
            self.polls += 1
            if cancelled:
                # Stopped mid-poll (a stop's grace period was over). If its request may have
                # reached the host, the feed keeps its usual gap from then: another node
                # polling it at once would send a second request within its interval.
                self._stopped.append((url, since_request_could_leave()))
            else:
                ended = self._clock()
                due = at if at is not None else ended + RETRY_AFTER_BUG
                # The gap from the poll's start, not its end: its request left in between,
                # and the time the poll took after its answer (parsing, the store) must not
                # shorten it.
                self._done.append((url, due - ended, due - started))
            del self._polling[url]
            self._wake.set()
            if self.node.metrics is not None:
                self.node.metrics.polls.inc()
