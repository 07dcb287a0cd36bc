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


async def _copy_alone(source: Path | str, target: Path | str, lease: float) -> dict[str, int]:
    """The copy; from PostgreSQL, refused while nodes run on it (they would change it while
    it is read, table by table; a node is dead once silent for ``lease``), and no node
    elected to a role meanwhile (``alone``)."""
    from monitor.cluster.beside import alone_at
    from monitor.store.copy import copy_between
    from monitor.store.location import is_postgres, shown_url

    if not isinstance(source, str) or not is_postgres(source):
        return await copy_between(source, target, _progress)
    async with alone_at(source, shown_url(source), lease, copy=True):
        return await copy_between(source, target, _progress)


def run(args: argparse.Namespace) -> int:
    from monitor.cluster.config import ClusterConfig

    # `config` stands for the config's database (read once); as FROM, its [cluster] lease says
    # when a node of it is dead (else the default lease).
    config = load_config(args, secrets=False) if "config" in (args.source, args.target) else None
    source, target = (
        config.database_location if config is not None and given == "config" else given
        for given in (args.source, args.target)
    )
    lease = config.cluster.lease if config and args.source == "config" else ClusterConfig().lease
    counts = asyncio.run(_copy_alone(source, target, lease))
    total = sum(counts.values())
    print(f"copied {total:,} rows: " + ", ".join(f"{n:,} {t}" for t, n in counts.items() if n))
    return 0


def _progress(line: str) -> None:
    print(f"copy-store: {line}", file=sys.stderr, flush=True)
