"""What every command shares: the config option, loading the config, opening the store, JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from monitor import config as config_module
from monitor import redact
from monitor.config import Config
from monitor.configenv import stored_address, unset_variables
from monitor.configtypes import parse_duration
from monitor.errors import InputError, StoreError
from monitor.store import Store
from monitor.store.db import Db
from monitor.store.feeds import all_feeds

T = TypeVar("T")


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-c",
        "--config",
        metavar="PATH",
        help="the config file (default: ./config.toml, else $MONITOR_CONFIG)",
    )


def add_log_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-format",
        choices=["plain", "json"],
        help="one line per event, plain text or JSON (default: [monitor] log_format)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail too")


def load_config(args: argparse.Namespace, *, secrets: bool = True) -> Config:
    """The config named by ``-c``, else ./config.toml, else $MONITOR_CONFIG (ConfigError if bad).

    ``secrets=False`` for a command that sends nothing: it then runs where the channels'
    secrets are not in the environment (they may live only in the daemon's unit)."""
    path = config_module.resolve_path(getattr(args, "config", None))
    return config_module.load(path, secrets=secrets)


def load_config_or_defaults(args: argparse.Namespace, what: str, *, secrets: bool = True) -> Config:
    """Like ``load_config``, but with no -c and no config file found, the defaults (said on
    stderr): commands that only need settings work before any config is written."""
    path = config_module.resolve_path(getattr(args, "config", None))
    if getattr(args, "config", None) is None and not path.exists():
        print(f"monitor: no config file; {what} with the default settings", file=sys.stderr)
        return Config()
    return config_module.load(path, secrets=secrets)


def found_in_store(config: Config) -> Config:
    """``config`` for a command that shows the store's feeds (``status``, ``stories``): a
    feed whose URL names a variable not set here (``${FEED_TOKEN}``: it may live only in the
    daemon's environment) is said on stderr and found in the store by the rest of its address,
    what the variable holds there masked as ``${FEED_TOKEN}``. A feed not found keeps its
    reference, and every stored address no configured feed has is then masked where it is
    whole, its keys wherever they are: any of them may be the one that carries the secret."""
    unset = [(i, f) for i, f in enumerate(config.feeds) if unset_variables(f.url)]
    if not unset:
        return config
    for i, feed in unset:
        for name in unset_variables(feed.url):
            print(
                f"monitor: warning: feeds[{i}].url: environment variable {name} is not set here;"
                f" shown as ${{{name}}}",
                file=sys.stderr,
            )
    try:
        stored = [state.url for state in read_store(config, all_feeds)]
    except StoreError:
        stored = []
    configured = {f.url for f in config.feeds}
    others = [url for url in stored if url not in configured]
    feeds = []
    for feed in config.feeds:
        address = stored_address(feed.url, others) if unset_variables(feed.url) else None
        feeds.append(feed.model_copy(update={"url": address}) if address else feed)
    if any(unset_variables(f.url) for f in feeds):
        # Masked as the daemon's load masks a configured URL, its keys wherever they appear
        # (an item's link under a keyed path), but the address itself only where it is whole:
        # most of them carry no secret, and their articles' links must still open.
        claimed = {f.url for f in feeds}
        for url in stored:
            if url not in claimed:
                redact.register_keys(url)
                redact.register_address(url)
    return config.model_copy(update={"feeds": feeds})


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=None, default=str)
    sys.stdout.write("\n")


def add_listing_options(parser: argparse.ArgumentParser, what: str) -> None:
    """The options of a listing of the store (``stories``, ``events``): -c, --since, --json."""
    add_config_option(parser)
    parser.add_argument(
        "--since", metavar="DURATION", help=f'only {what} seen in the last DURATION ("24h")'
    )
    parser.add_argument("--json", action="store_true", help="print JSON")


def outlets_of(items: Iterable[Mapping[str, Any]]) -> list[str]:
    """The distinct outlets of ``items`` (``--json`` items), each by the first name it came by:
    told apart by site, else by the ``<source>`` an aggregator names, else by the feed's name.
    As an alert counts them (``StoredItem.outlet_key``) but for the last: an alert tells feeds
    by id, and ``--json`` items carry no feed id, so two feeds of one name are one here."""
    names: dict[tuple[str, str], str] = {}
    for item in items:
        name = item["source"] or item["feed"]
        if item.get("site"):
            key = ("d", item["site"])
        else:
            key = ("s", item["source"]) if item["source"] else ("f", item["feed"])
        names.setdefault(key, name)
    return list(names.values())


def outlets_text(outlets: list[str], shown: int = 8) -> str:
    """The first ``shown`` outlets by name, then how many more."""
    more = f", +{len(outlets) - shown}" if len(outlets) > shown else ""
    return ", ".join(outlets[:shown]) + more


def since_of(args: argparse.Namespace) -> datetime | None:
    """``--since DURATION`` as the time that long ago; None without it."""
    if not args.since:
        return None
    try:
        return datetime.fromtimestamp(time.time() - parse_duration(args.since), UTC)
    except ValueError as exc:
        raise InputError(f"--since: {exc}") from None


def read_store(config: Config, read: Callable[[Db], Awaitable[T]]) -> T:
    """``read`` on the database opened read-only: beside a running daemon, without creating
    or migrating anything (a mistyped path is "no database at PATH")."""

    async def run() -> T:
        store = await Store.open_readonly(config.database_location)
        try:
            return await read(store.db)
        finally:
            await store.close()

    return asyncio.run(run())
