"""``monitor test-alert [--channel NAME]``: one test message through each channel, now."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime

from monitor.channels import Channel, build_channels
from monitor.cli.common import add_config_option, load_config
from monitor.cluster.beside import NodesRunning, alone
from monitor.config import Config
from monitor.errors import ChannelError, ConfigError, MonitorError
from monitor.models import Alert
from monitor.redact import shown
from monitor.store.lock import DatabaseInUse, writer_lock


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "test-alert",
        help="send a test message through each channel (or one)",
        description="Send a test message through every configured channel, or only --channel, "
        "directly (not through the outbox), and print the outcome of each. Exit 1 if any failed.",
    )
    add_config_option(p)
    p.add_argument("--channel", metavar="NAME", help="only this [channels.NAME]")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config(args)
    names = list(config.channels)
    if args.channel is not None:
        if args.channel not in config.channels:
            known = ", ".join(names) or "none"
            raise ConfigError(f"no channel named {args.channel!r} (configured: {known})")
        names = [args.channel]
    if not names:
        raise ConfigError("no channels configured: add a [channels.NAME] section")
    # A test message beside a running daemon is refused like a second daemon: one process
    # speaks for a database's channels at a time (on PostgreSQL: refused beside live nodes).
    beside = (
        " test beside {} with a copy of the config whose [monitor] database is another"
        " file (one test message is no strain on the channels' rate limits)"
    )
    try:
        with writer_lock(config.database_location):
            results = asyncio.run(_send_alone(config, names))
    except DatabaseInUse as exc:
        raise MonitorError(
            f"{exc}, which speaks for these channels: stop it to send a test message, or"
            + beside.format("it")
        ) from None
    except NodesRunning as exc:
        raise MonitorError(
            f"{exc.in_use}, which speak for these channels: stop them to send a test message,"
            " or" + beside.format("them")
        ) from None
    failed = 0
    for name, error in results.items():
        if error is None:
            print(f"{name}: ok")
        else:
            failed += 1
            print(shown(f"{name}: FAILED: {error}"))  # quotes the service: no ESC from it
    if failed:
        print(f"{failed} of {len(results)} channels failed", file=sys.stderr)
    return 1 if failed else 0


def make_test_alert(channel: str, now: float) -> Alert:
    return Alert(
        id=0,
        channel=channel,
        kind="test",
        title=f"monitor test alert for channel {channel}",
        severity="normal",
        published=datetime.fromtimestamp(now, UTC),
        extra={"message": "If you can read this, alerts for this channel reach you."},
    )


async def _send_alone(config: Config, names: list[str]) -> dict[str, str | None]:
    async with alone(config, unreachable_ok=True):
        return await send_tests(config, names)


async def send_tests(config: Config, names: list[str]) -> dict[str, str | None]:
    """Each channel's outcome: None when it accepted the test message, else why not."""
    import aiohttp  # the HTTP client: this command's and the pipeline's, not every command's

    async with aiohttp.ClientSession() as session:
        channels = build_channels({n: config.channels[n] for n in names}, session)
        outcomes = await asyncio.gather(*(_one(c) for c in channels.values()))
        for channel in channels.values():
            await channel.close()
    return dict(zip(names, outcomes, strict=True))


async def _one(channel: Channel) -> str | None:
    try:
        async with asyncio.timeout(channel.config.timeout + 5):
            await channel.send(make_test_alert(channel.name, time.time()))
    except ChannelError as exc:
        return str(exc)
    except TimeoutError:
        return f"no answer within {channel.config.timeout:g}s"
    return None
