"""``monitor copy-store FROM TO``: a whole store into another database (SQLite -> PostgreSQL
for a user who grows, and back)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from monitor.cli.common import add_config_option, load_config


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "copy-store",
        help="copy a whole store into another (empty) database",
        description="Copy every table of the store FROM into the database TO, ids kept: a "
        "SQLite file into PostgreSQL, or back. Each is a path (or sqlite:PATH) or a "
        "postgresql://user@host:port/db URL (a password from $PGPASSWORD or ~/.pgpass "
        "rather than on the command line). The word `config` stands for the database of the "
        "config file, its ${NAME} values read from the environment. TO is created and "
        "migrated if new, and refused if it holds anything. Stop the daemon first: FROM must "
        "not change meanwhile.",
    )
    add_config_option(p)
    p.add_argument("source", metavar="FROM", help="the store to copy (or: config)")
    p.add_argument("target", metavar="TO", help="the new, empty database (or: config)")
    p.set_defaults(func=run)


def _location(args: argparse.Namespace, given: str) -> Path | str:
    return load_config(args, secrets=False).database_location if given == "config" else given


def run(args: argparse.Namespace) -> int:
    from monitor.store.copy import copy_between  # this command's alone

    source, target = _location(args, args.source), _location(args, args.target)
    counts = asyncio.run(copy_between(source, target, _progress))
    total = sum(counts.values())
    print(f"copied {total:,} rows: " + ", ".join(f"{n:,} {t}" for t, n in counts.items() if n))
    return 0


def _progress(line: str) -> None:
    print(f"copy-store: {line}", file=sys.stderr, flush=True)
