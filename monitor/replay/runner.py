"""Play recorded headlines through the whole pipeline, in time order, from a local server.

The replay clock walks through the data in steps; at each step the server shows every item
published up to the clock and the feeds that changed are polled through the real pipeline
(HTTP fetch, parse, normalize, store, dedup, match, outbox). Dedup and rules see the data's
own publication times, so a 36-hour stream can be replayed in a minute.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.channels.config import ChannelConfig, ConsoleChannelConfig
from monitor.cluster.beside import alone
from monitor.config import Config, FeedConfig, derive
from monitor.engine import Engine
from monitor.outbox.status import sent_text
from monitor.pipeline import refresh_feed
from monitor.plural import plural
from monitor.progress import Progress
from monitor.replay import DEFAULT_STEP
from monitor.replay.server import ReplayServer
from monitor.replay.sources import Record
from monitor.store import report
from monitor.store.lock import writer_lock


@dataclass(slots=True)
class ReplaySummary:
    feeds: int
    records: int
    polls: int
    failed_polls: int
    new_items: int
    stories: int
    matches: int
    alerts: dict[str, int]  # alert rows by status (an update's row once, however often sent)
    sent: dict[str, int]  # what went out: {"alerts": first messages, "updates": each update}
    discarded: int  # alerts still pending when the replay ended (its store is thrown away)
    data_hours: float
    seconds: float
    database: str

    def lines(self) -> list[str]:
        said = {k: f"{v} {k}" for k, v in self.alerts.items()}
        if any(self.sent.values()):
            said["sent"] = sent_text(self.sent)
        alerts = ", ".join(text for _, text in sorted(said.items())) or "none"
        return [
            f"replayed {plural(self.records, 'headline')} from {plural(self.feeds, 'feed')} "
            f"({self.data_hours:.1f} hours of data) in {self.seconds:.1f}s",
            f"  {plural(self.polls, 'poll')} ({self.failed_polls:,} failed), "
            f"{plural(self.new_items, 'new item')}, {plural(self.stories, 'story', 'stories')}, "
            f"{plural(self.matches, 'match', 'matches')}",
            f"  alerts: {alerts}",
            *(
                [
                    f"  {plural(self.discarded, 'alert')} still pending at the end "
                    + ("was discarded" if self.discarded == 1 else "were discarded")
                ]
                if self.discarded
                else []
            ),
        ]

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


def replay_config(config: Config, server: ReplayServer, database: Path, *, deliver: bool) -> Config:
    """The user's dedup, entities and rules over the replay's feeds and database."""
    feeds = [
        FeedConfig(url=server.url(server.path(i)), name=feed.name)
        for i, feed in enumerate(server.feeds)
    ]
    # Without --deliver every network channel prints on the console instead (console
    # channels keep their own settings).
    channels: dict[str, ChannelConfig] = {
        name: c if deliver or c.type == "console" else ConsoleChannelConfig(type="console")
        for name, c in config.channels.items()
    }
    replay = derive(config, database=database, feeds=feeds, channels=channels)
    # Recorded items are shown at the replay's clock, as they were published: none is old
    # news at its first sight. Judged by the wall clock (the engine's), every one would be.
    unjudged = replay.monitor.model_copy(update={"max_age": float("inf")})
    return replay.model_copy(update={"monitor": unjudged})


async def run_replay(
    config: Config,
    records: Sequence[Record],
    *,
    speed: float = 0.0,
    step: float = DEFAULT_STEP,
    deliver: bool = False,
    database: Path | None = None,
    progress: bool = True,
    drain_timeout: float = 30.0,
    port: int = 0,
) -> ReplaySummary:
    """Replay ``records``; ``speed`` is data seconds per real second (0: as fast as it goes)."""
    started = time.monotonic()
    server = ReplayServer(records)
    await server.start(port)
    try:
        async with AsyncExitStack() as owner:
            tmp = owner.enter_context(tempfile.TemporaryDirectory(prefix="monitor-replay-"))
            replay = replay_config(
                config, server, database or Path(tmp) / "replay.db", deliver=deliver
            )
            live = config.database_path
            if deliver and replay.database_path.resolve() != live.resolve():
                # Real channels: not beside a daemon delivering the same config's alerts
                # (on PostgreSQL: not beside running nodes).
                owner.enter_context(writer_lock(config.database_location))
                await owner.enter_async_context(alone(config))
            engine = await Engine.open(replay)
            try:
                engine.start_delivery()
                polls, failed, new_items = await _play(
                    engine, server, records, speed, step, progress
                )
                # What is pending (digests, updates held to coalesce) is sent now.
                await engine.deliverer.drain(drain_timeout, updates=True)
                counts = await _counts(engine)
            finally:
                await engine.close()
    finally:
        await server.stop()
    times = [r.published for r in records]
    return ReplaySummary(
        feeds=len(server.feeds),
        records=len(records),
        polls=polls,
        failed_polls=failed,
        new_items=new_items,
        stories=counts["stories"],
        matches=counts["matches"],
        alerts=counts["alerts"],
        sent=counts["sent"],
        discarded=counts["alerts"].get("pending", 0) if database is None else 0,
        data_hours=(max(times) - min(times)) / 3600 if times else 0.0,
        seconds=time.monotonic() - started,
        database=str(database) if database else "(temporary)",
    )


async def _play(
    engine: Engine,
    server: ReplayServer,
    records: Sequence[Record],
    speed: float,
    step: float,
    progress: bool,
) -> tuple[int, int, int]:
    if not records:
        return 0, 0, 0
    feeds = engine.config.feeds
    start, end = records[0].published, records[-1].published
    steps = int((end - start) // step) + 1
    if start + (steps - 1) * step < end:
        steps += 1  # the last step must reach the last record
    bar = Progress("replayed steps", steps, stream=sys.stderr) if progress else None
    shown = [0] * len(server.feeds)
    polls = failed = new_items = 0
    clock = start
    for _ in range(steps):
        server.now = clock
        changed = [i for i in range(len(server.feeds)) if server.visible(i) != shown[i]]
        outcomes = await asyncio.gather(*(refresh_feed(engine.rt, feeds[i]) for i in changed))
        for i, outcome in zip(changed, outcomes, strict=True):
            if outcome.result != "error":
                shown[i] = server.visible(i)
        polls += len(outcomes)
        failed += sum(o.result == "error" for o in outcomes)
        step_new = sum(o.new_items for o in outcomes)
        new_items += step_new
        if bar:
            bar.step(new_items=step_new)
        if speed > 0:
            await asyncio.sleep(step / speed)
        clock += step
    return polls, failed, new_items


async def _counts(engine: Engine) -> dict[str, Any]:
    db = engine.store.db
    out: dict[str, Any] = dict(await report.rows_in(db, ("stories", "matches")))
    by_status: dict[str, int] = {}
    for counts in (await report.counts(db)).values():
        for status, count in counts.items():
            by_status[status] = by_status.get(status, 0) + count
    out["alerts"] = by_status
    out["sent"] = {"alerts": 0, "updates": 0}
    for sent in (await report.sends(db)).values():  # each alert, in a digest or not
        out["sent"]["alerts"] += sent["alerts"] + sent["digested"]
        out["sent"]["updates"] += sent["updates"]
    return out
