"""``monitor run``: the daemon, in the foreground."""

from __future__ import annotations

import argparse
import asyncio

from monitor import config as config_module
from monitor import eventloop, interpreter, log
from monitor.cli.common import add_config_option, add_log_options


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "run",
        help="run the daemon in the foreground (SIGTERM/SIGINT stop it, SIGHUP reloads the config)",
        description="Poll every feed on its own schedule until stopped. SIGTERM or SIGINT "
        "stop it gracefully; SIGHUP reloads the config (a bad new config is refused).",
    )
    add_config_option(p)
    add_log_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = config_module.resolve_path(args.config)
    config = config_module.load(path)
    log.setup(args.log_format or config.monitor.log_format, args.verbose)
    # The command tunes the interpreter (as `monitor once` does, for its arena): the daemon is
    # the process, so its allocator and garbage collector are set for a long-lived heap
    # (monitor.interpreter). Library code, tests, replay and the demo never change
    # interpreter-wide state.
    interpreter.limit_arenas()
    interpreter.map_large_blocks()
    interpreter.pause_collector()  # until the engine is open (settle_heap), or the run ends
    try:
        # Imported here: `monitor --help` and the other commands list this module, not run it.
        from monitor.daemon import run_daemon

        # uvloop's event loop where installed (monitor.eventloop): the command's choice.
        with asyncio.Runner(loop_factory=eventloop.new_event_loop) as runner:
            return runner.run(run_daemon(config, path, settle_heap=True))
    finally:
        interpreter.resume_collector()
