"""``monitor check-config``: validate the file and print every problem with its location."""

from __future__ import annotations

import argparse
import sys

from monitor import config as config_module
from monitor import configchecks
from monitor.cli.common import add_config_option
from monitor.cli.feedtitles import stored_titles
from monitor.config import Config
from monitor.redact import redact


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "check-config",
        help="validate the config file and list every problem at once",
        description="Validate the config file: TOML syntax, unknown keys, types, durations, "
        "environment variables, rule queries and references. Exit 2 when anything is wrong.",
    )
    add_config_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    path = config_module.resolve_path(args.config)
    config = config_module.load(path)  # ConfigError -> every problem on stderr, exit 2
    counts = (
        _count(len(config.feeds), "feed", "feeds"),
        _count(len(config.rules), "rule", "rules"),
        _count(len(config.entities), "entity", "entities"),
        _count(len(config.channels), "channel", "channels"),
    )
    for warning in configchecks.warnings(config, _titles(config)):
        print(redact(f"monitor: warning: {warning}"), file=sys.stderr)
    print(f"{path}: ok ({', '.join(counts)})")
    return 0


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _titles(config: Config) -> list[str] | None:
    """The titles of the configured feeds without a name, where a rule's ``feeds`` entry is
    neither a configured name nor a URL (the store is asked only then); None unless the store
    knows every such feed's title: a feed not yet polled may have the title a rule names."""
    if not configchecks.unknown_feeds(config):
        return None
    titles = stored_titles(config)
    if titles is None or len(titles) < sum(1 for f in config.feeds if not f.name):
        return None
    return list(titles.values())
