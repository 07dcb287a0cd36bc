"""``monitor once [--dry-run]``: one poll of every feed, then exit."""

from __future__ import annotations

import argparse
import asyncio
import sys

from monitor import eventloop, interpreter, log
from monitor.cli.common import add_config_option, add_log_options, load_config, read_store
from monitor.config import Config
from monitor.plural import plural
from monitor.store import report
from monitor.store.db import Db


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "once",
        help="poll every feed once, deliver the alerts, then exit",
        description="Poll every feed once, store what is new, deliver the alerts it causes "
        "and exit. Exit 1 when every feed failed.",
    )
    add_config_option(p)
    add_log_options(p)
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print alerts on stdout instead of sending them (the database is left as it was)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(args)
    log.setup(args.log_format or config.monitor.log_format, args.verbose)
    from monitor.oneshot import run_once  # the pipeline, for this command only

    # The command, not the library, keeps one malloc arena and gives freed memory back to the
    # system as polls end (monitor.interpreter): thousands of bodies and parsed feeds pass
    # through one process. The program collects young objects as seldom as `monitor run`
    # (cli.run_process), not this function: tests call it in their own process.
    interpreter.limit_arenas()
    trim = interpreter.HeapTrim()
    polled = 0

    def poll_done() -> None:
        nonlocal polled
        polled += 1
        trim.poll_done()

    try:
        # uvloop's event loop where installed (monitor.eventloop), as `monitor run`'s.
        with asyncio.Runner(loop_factory=eventloop.new_event_loop) as runner:
            outcomes = runner.run(run_once(config, dry_run=args.dry_run, after_poll=poll_done))
    except KeyboardInterrupt:
        # The runner cancelled the pass: polls cut off rolled back, what was stored stays,
        # and a send in flight was finished before the store closed.
        print(interrupted(config, polled, dry_run=args.dry_run), file=sys.stderr)
        return 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C
    failed = sum(o.result == "error" for o in outcomes)
    new = sum(o.new_items for o in outcomes)
    print(
        f"polled {plural(len(outcomes), 'feed')}: {plural(new, 'new item')}, {failed:,} failed",
        file=sys.stderr,
    )
    return 1 if outcomes and failed == len(outcomes) else 0


def interrupted(config: Config, polled: int, *, dry_run: bool) -> str:
    """The line `monitor once` ends with on Ctrl-C: what it did, what it left for the next run."""
    done = f"interrupted: {polled:,} of {plural(len(config.feeds), 'feed')} polled"
    if dry_run:
        return f"{done}; a dry run: nothing was stored or sent"
    left = []
    if polled < len(config.feeds):
        left.append("polls the rest")
    try:
        pending = read_store(config, _pending)
    except Exception:
        pending = 0
    said = [done]
    if pending:
        said.append(
            f"{plural(pending, 'alert')} {'waits' if pending == 1 else 'wait'} in the outbox"
        )
        left.append("sends them")
    said.append("nothing lost" + (f"; the next run {' and '.join(left)}" if left else ""))
    return "; ".join(said)


async def _pending(db: Db) -> int:
    counts = await report.counts(db)
    return sum(by_status.get("pending", 0) for by_status in counts.values())
