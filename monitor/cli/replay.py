"""``monitor replay SOURCE [--speed X]``: recorded data through the whole pipeline."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from pathlib import Path

from monitor import log
from monitor.cli.common import (
    add_config_option,
    add_log_options,
    load_config_or_defaults,
    print_json,
)
from monitor.replay import DEFAULT_STEP


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "replay",
        help="play recorded feeds or a UCI News Aggregator CSV through the whole pipeline",
        description="Serve recorded data from a local server and run it through the whole "
        "pipeline in time order: a directory of feed files, or a CSV in the UCI News "
        "Aggregator format (ID,TITLE,URL,PUBLISHER,CATEGORY,STORY,HOSTNAME,TIMESTAMP), one "
        "feed per publisher. Uses the config's dedup settings, entities and rules; alerts are "
        "printed on the console unless --deliver is given. The live database is not touched.",
    )
    add_config_option(p)
    add_log_options(p)
    p.add_argument("source", metavar="SOURCE", help="a directory of feed files, or a UCI CSV")
    p.add_argument(
        "--speed",
        type=float,
        default=0.0,
        metavar="X",
        help="play X seconds of data per second (default 0: as fast as it goes)",
    )
    p.add_argument(
        "--step",
        type=float,
        default=DEFAULT_STEP,
        metavar="SECONDS",
        help=f"seconds of data between two polls of the changed feeds (default {DEFAULT_STEP:g})",
    )
    p.add_argument(
        "--deliver", action="store_true", help="send alerts through the configured channels"
    )
    p.add_argument(
        "--database", metavar="PATH", help="keep the replay's store here (default: temporary)"
    )
    p.add_argument(
        "--port",
        type=int,
        default=0,
        help="serve the replay on this 127.0.0.1 port (default: any free one); with --database, "
        "a fixed port lets a replay resume after a crash with the same feeds",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from monitor.replay.sources import (  # this command's alone
        ReplayError,
        read_uci,
        records_from_directory,
    )

    config = load_config_or_defaults(args, "replaying")
    log.setup(args.log_format or config.monitor.log_format, args.verbose)
    if not args.verbose:
        # Thousands of polls: the progress line says enough; problems are still logged.
        logging.getLogger("monitor").setLevel(logging.WARNING)
    source = Path(args.source)
    if not source.exists():
        # The replay's SOURCE, not the config: a "config:" prefix sent users to the wrong file.
        raise ReplayError(f"the source {source}: no such file or directory")
    if args.speed < 0 or args.step <= 0:
        raise ReplayError("--speed must be 0 or more and --step more than 0")
    records = records_from_directory(source) if source.is_dir() else read_uci(source)
    # Here, not at the top: every command imports this module to list it in --help, and the
    # runner brings the whole pipeline and aiohttp's server.
    from monitor.replay.runner import run_replay

    # With --json, stdout carries the JSON alone: console alerts go to stderr.
    with contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext():
        summary = asyncio.run(
            run_replay(
                config,
                records,
                speed=args.speed,
                step=args.step,
                deliver=args.deliver,
                database=Path(args.database) if args.database else None,
                port=args.port,
            )
        )
    if args.json:
        print_json(summary.as_dict())
    else:
        print("\n".join(summary.lines()), file=sys.stderr)
    return 1 if summary.polls and summary.failed_polls == summary.polls else 0
