"""``monitor once``: every feed polled once, what that causes delivered (a bounded wait),
everything closed. ``poll_all`` is the pass itself (tests and benches use it too)."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

from monitor import config as config_module
from monitor.channels.config import ConsoleChannelConfig
from monitor.cluster.beside import alone
from monitor.config import Config
from monitor.engine import Engine, max_polls
from monitor.outbox.status import left_waiting
from monitor.pipeline import PollOutcome, refresh_feed
from monitor.progress import Progress
from monitor.runtime import Runtime

log = logging.getLogger("monitor.oneshot")
DRAIN_TIMEOUT = 60.0  # how long `monitor once` waits for the outbox to empty


async def poll_all(
    rt: Runtime, *, progress: bool = True, after_poll: Callable[[], None] | None = None
) -> list[PollOutcome]:
    """Poll every configured feed once, concurrently: at most ``max_polls`` at a time, as
    the daemon polls. Fetching outruns the rest of a poll, so unbounded, every feed's body
    and parsed items would wait in memory for their turn at the stories and the store.
    ``after_poll`` is called as each poll ends (``monitor once`` trims the heap there)."""
    feeds = rt.config.feeds
    bar = Progress("polled feeds", len(feeds)) if progress else None
    # ``max_polls`` workers take the feeds in order: a task (and its waiter on a semaphore)
    # for each feed would wait from the start to the end of the pass.
    left = iter(enumerate(feeds))
    outcomes: dict[int, PollOutcome] = {}

    async def worker() -> None:
        for n, feed in left:
            outcome = outcomes[n] = await refresh_feed(rt, feed)
            if after_poll is not None:
                after_poll()
            if bar:
                bar.step(new_items=outcome.new_items, failed=int(outcome.result == "error"))

    await asyncio.gather(*(worker() for _ in range(min(max_polls(rt.config), len(feeds)))))
    return [outcomes[n] for n in range(len(feeds))]


async def run_once(
    config: Config, *, dry_run: bool = False, after_poll: Callable[[], None] | None = None
) -> list[PollOutcome]:
    """``monitor once``: poll every feed, deliver what that causes (bounded wait), close.

    A dry run works on a temporary copy of the database and prints alerts on stdout, so
    the real store and the real channels see nothing of it. Otherwise this process is the
    monitor's only one: on SQLite the store's lock says so, on PostgreSQL it is refused beside
    live nodes (``cluster.beside``).
    """
    with tempfile.TemporaryDirectory(prefix="monitor-dry-run-") as tmp:
        if dry_run:
            config = await _dry_run_config(config, Path(tmp))
        # A dry run's store is a copy (no one else's); else, on PostgreSQL, not beside nodes.
        async with alone(config):
            engine = await Engine.open(config, lazy_window=True)
            try:
                outcomes = await poll_all(engine.rt, after_poll=after_poll)
                # Updates held to coalesce go now: nothing more of this run can join them, and
                # waiting out update_delay would hold the command for up to a minute.
                drained = await engine.drain(DRAIN_TIMEOUT, updates=True)
                if dry_run:  # its store is a copy: what would wait, not what is kept
                    await _say_what_waits(engine)
                elif not drained:
                    await _say_left(engine, config)
                return outcomes
            finally:
                await engine.close()


async def _say_left(engine: Engine, config: Config) -> None:
    """Alerts left pending: those held on purpose (quiet hours, a digest, a retry's back-off)
    said with why and until when; a timeout said as one."""
    if engine.deliverer.timed_out:
        log.warning(
            "alerts still waiting after %.0fs; kept in the outbox for the next run",
            DRAIN_TIMEOUT,
        )
        return
    async with engine.store.transaction() as db:
        lines = await left_waiting(db, config.channels)
    for line in lines:
        log.warning("%s; kept in the outbox for the next run", line)


async def _dry_run_config(config: Config, tmp: Path) -> Config:
    copy = tmp / "monitor.db"
    location = config.database_location
    if isinstance(location, str):  # PostgreSQL: its rows into the temporary SQLite copy
        from monitor.store.copy import copy_between

        await copy_between(
            location,
            copy,
            lambda line: log.debug("dry run: %s", line),
            source_readonly=True,
            queue=False,  # the nodes' work, which `once` does not do: not shown as its own
        )
    elif location.exists():
        await asyncio.to_thread(_backup, location, copy)
    # Printed instead of sent, but held as the channel would hold it (quiet hours).
    console = {
        name: ConsoleChannelConfig(
            type="console",
            quiet_hours=channel.quiet_hours,
            quiet_override=channel.quiet_override,
            timezone=channel.timezone,
        )
        for name, channel in config.channels.items()
    }
    return config_module.derive(config, database=copy, channels=console)


async def _say_what_waits(engine: Engine) -> None:
    """A dry run printed what would be sent now; what would wait (quiet hours), it says."""
    from monitor.outbox.status import waiting, waiting_line

    for channel, wait in (await waiting(engine.store.db, engine.config.channels)).items():
        line = waiting_line(channel, wait)
        if line:
            log.info("dry run: would not be sent yet: %s", line.removeprefix("WAITING "))


def _backup(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
