"""The command line: ``monitor COMMAND`` (also ``python -m monitor``).

Each command lives in its own module under ``monitor/cli/`` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` to a
``run(args) -> int``. Domain errors become exit codes here and only here:
0 success, 1 runtime failure, 2 bad usage or bad config.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from monitor import __version__, interpreter
from monitor.errors import ConfigError, InputError, MonitorError
from monitor.redact import redact

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C

# Command modules, in the order ``monitor --help`` lists them.
COMMANDS = [
    "run",
    "once",
    "check_config",
    "status",
    "opml",
    "test_alert",
    "test_rules",
    "dedup_check",
    "stories",
    "events",
    "replay",
    "copy_store",
    "demo",
]
# Each command's module, by the command's name as typed: a module's own name ("opml",
# "check_config") is no command, and must get the error that lists them all.
_MODULE_OF = {name.replace("_", "-"): name for name in COMMANDS if name != "opml"} | {
    "import-opml": "opml",
    "export-opml": "opml",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"monitor: {message} (see monitor --help)\n")


def _module_named(argv: Sequence[str]) -> str | None:
    """The module of the command ``argv`` names; None where it names none before another
    option than the config's (``--help``, ``--version``), or none that exists."""
    args = iter(argv)
    for arg in args:
        if arg in ("-c", "--config"):
            next(args, None)
        elif arg.startswith(("--config=", "-c")):
            continue
        elif arg.startswith("-"):
            return None
        else:
            return _MODULE_OF.get(arg)
    return None


def _asks_version(argv: Sequence[str]) -> bool:
    """``argv`` is ``--version`` before any command (the config's option aside)."""
    args = iter(argv)
    for arg in args:
        if arg in ("-c", "--config"):
            next(args, None)
        elif not arg.startswith(("--config=", "-c")) or arg == "--version":
            return arg == "--version"
    return False


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command; with ``argv`` that names one, of that one alone: a
    command's module imports what it runs, and `monitor run` need not hold the others'.
    ``--version`` needs none of them."""
    parser = _Parser(
        prog="monitor",
        description="Watch news feeds, fold the same story from many outlets into one, "
        "and alert on what you track.",
    )
    parser.add_argument("--version", action="version", version=f"monitor {__version__}")
    # Also accepted before the command (``monitor -c FILE status``); one after it wins.
    parser.add_argument(
        "-c",
        "--config",
        dest="config_before_command",
        metavar="PATH",
        help="the config file (default: ./config.toml, else $MONITOR_CONFIG)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    named = None if argv is None else _module_named(argv)
    if argv is not None and _asks_version(argv):
        return parser
    for name in COMMANDS if named is None else [named]:
        module = importlib.import_module(f"monitor.cli.{name}")
        module.register(sub)
    return parser


def run_process() -> int:
    """The ``monitor`` program and ``python -m monitor``: ``main``, in a process that ends when
    it returns (``main`` itself is also called inside other processes: tests, a node's). Its
    start-up (imports, the config) makes objects that live as long as the process: collected
    as seldom as the daemon's young objects are."""
    interpreter.collect_less_often()
    code = main()
    interpreter.leave_heap()
    return code


def main(argv: Sequence[str] | None = None) -> int:
    try:
        # Inside the try: Ctrl-C while the commands are being imported is still one line.
        if argv is None:
            argv = sys.argv[1:]
        interpreter.one_blas_thread()  # before a command's module imports numpy
        parser = build_parser(argv)
        args = parser.parse_args(argv)
        if getattr(args, "config", None) is None:
            args.config = args.config_before_command
        code: int = args.func(args)
        return code
    except ConfigError as exc:
        print(redact(f"monitor: {exc.stage}: {exc.headline}"), file=sys.stderr)
        for problem in exc.problems:
            print(redact(f"  {problem}"), file=sys.stderr)
        return EXIT_USAGE
    except InputError as exc:
        print(redact(f"monitor: {exc}"), file=sys.stderr)
        return EXIT_USAGE
    except MonitorError as exc:
        print(redact(f"monitor: {exc}"), file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        # Ctrl-C before a command could take it as a stop (`run` before its engine is open):
        # said, not a traceback or silence. `once` says more itself.
        print("monitor: interrupted; what was stored before stays", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`monitor stories | head`): nothing more to say to it, and
        # the flush at exit must not fail again (https://docs.python.org/3/library/signal.html
        # #note-on-sigpipe).
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILURE
