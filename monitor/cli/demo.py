"""``monitor demo``: the whole pipeline on the shipped sample feeds, offline."""

from __future__ import annotations

import argparse

from monitor import log


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "demo",
        help="run the whole pipeline on shipped sample feeds, offline, with console alerts",
        description="Start a local server with the sample feeds monitor ships, run fetch to "
        "alert on them with a config written to a temporary folder, print the alerts as they "
        "come and the stories at the end. No network, no credentials.",
    )
    p.add_argument(
        "-c",
        "--config",
        help="ignored: the demo writes and uses its own config (accepted for uniformity)",
    )
    p.add_argument(
        "--step-seconds",
        type=float,
        default=0.4,
        metavar="S",
        help="real seconds per quarter hour of news (default 0.4; 0 runs as fast as it goes)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log each poll too")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    log.setup("plain", args.verbose)
    if not args.verbose:
        import logging

        logging.getLogger("monitor").setLevel(logging.WARNING)
    from monitor.demo import main

    return main(step_seconds=args.step_seconds)
