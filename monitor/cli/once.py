"""``monitor once [--dry-run]``: one poll of every feed, then exit."""

from __future__ import annotations

import argparse
import asyncio
import sys

from monitor import interpreter, log
from monitor.cli.common import add_config_option, add_log_options, load_config
from monitor.plural import plural


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
    # through one process.
    interpreter.limit_arenas()
    trim = interpreter.HeapTrim()
    outcomes = asyncio.run(run_once(config, dry_run=args.dry_run, after_poll=trim.poll_done))
    failed = sum(o.result == "error" for o in outcomes)
    new = sum(o.new_items for o in outcomes)
    print(
        f"polled {plural(len(outcomes), 'feed')}: {plural(new, 'new item')}, {failed:,} failed",
        file=sys.stderr,
    )
    return 1 if outcomes and failed == len(outcomes) else 0
