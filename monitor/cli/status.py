"""``monitor status [--json] [--all]``: feed health, outbox depth and counts."""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import datetime
from typing import Any

from monitor.cli.common import add_config_option, found_in_store, load_config, print_json
from monitor.cli.daemon_seen import daemon_health, daemon_line, sqlite_writer
from monitor.cli.daemon_seen import iso as _iso
from monitor.cli.feeding import fed_by, feeding
from monitor.config import Config
from monitor.configtypes import format_duration
from monitor.outbox import outbox_status, render_status
from monitor.redact import feed_label, shown_data
from monitor.store import Store, report
from monitor.store import feeds as feed_store
from monitor.store.feeds import FeedState
from monitor.websub.status import POLLED, render_websub, websub_status

# Feeds past which ``monitor status`` lists only the failing ones (``--all``: every feed): at
# a thousand feeds, a thousand rows hid the few that need the operator.
LISTED = 30
WIDTH = 40  # the FEED column's


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "status",
        help="feed health, outbox depth and counts",
        description="Show each feed's health (last success, last error, error streak, next "
        "check), the outbox and what the store holds.",
    )
    add_config_option(p)
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument(
        "--all",
        action="store_true",
        help=f"list every feed (past {LISTED} feeds, only those failing are listed)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = found_in_store(load_config(args, secrets=False))
    # For a person or a program (and for pasting into a bug report): no secret in a feed's
    # URL, no control character from a feed's error or an alert's title.
    report = shown_data(asyncio.run(collect(config)))
    if args.json:
        print_json(report)
    else:
        print(render(report, every_feed=args.all))
    return 0


async def collect(config: Config) -> dict[str, Any]:
    """The status report as plain data (the ``--json`` document)."""
    store = await Store.open_readonly(config.database_location)
    try:
        states = {s.url: s for s in await feed_store.all_feeds(store.db)}
        counts = await report.rows_in(store.db, ("feeds", "items", "stories", "matches"))
        outbox = await outbox_status(store.db, config.channels)
        websub, refused = await websub_status(store.db)
        nodes = await _nodes(store, config)
        now = time.time()
        fed = {}
        for f in config.feeds:
            pushed = websub.get(f.url, POLLED)["fed_by"] == "push"
            fed[f.url] = await feeding(
                store.db, config, f, states.get(f.url), pushed=pushed, now=now
            )
    finally:
        await store.close()
    feeds = []
    for feed in config.feeds:
        state = states.get(feed.url)
        feeds.append(
            {
                "url": feed.url,
                # As the log and a health alert name it (``runtime.feed_name``): a keyed
                # URL with the feed's number, or two keyed feeds read the same.
                "name": feed.name
                or (state.title if state else None)
                or feed_label(feed.url, state.id if state else None),
                "fetch_url": state.fetch_url if state else None,
                "healthy": bool(
                    state and state.error_streak == 0 and state.last_success and not state.malformed
                ),
                "last_success": _iso(state.last_success) if state else None,
                "last_error": state.last_error if state else None,
                "last_error_at": _iso(state.last_error_at) if state else None,
                "error_streak": state.error_streak if state else 0,
                "failing_since": _iso(state.failing_since) if state else None,
                "malformed": state.malformed if state else None,  # its last body's XML problem
                "next_check": _iso(state.next_check) if state else None,
                "last_status": state.last_status if state else None,
                "items": state.items_total if state else 0,
                "last_cut": state.last_cut if state else 0,  # [monitor] max_new_items
                "last_cut_at": _iso(state.last_cut_at) if state else None,
                "last_old": state.last_old if state else 0,  # [monitor] max_age
                "last_old_at": _iso(state.last_old_at) if state else None,
                **websub.get(feed.url, POLLED),
                **fed[feed.url],
            }
        )
    daemon = _daemon(config, nodes, [states.get(f.url) for f in config.feeds])
    if daemon["running"] and config.monitor.metrics:  # what it cannot write in the store
        daemon["unhealthy"] = await asyncio.to_thread(daemon_health, config.monitor.metrics)
    shown = {
        "daemon": daemon,
        "feeds": feeds,
        "outbox": outbox,
        "counts": counts,
        "websub_refused": refused,
        "max_age": format_duration(config.monitor.max_age),
    }
    if nodes:  # PostgreSQL on which `monitor run` nodes ran
        shown["nodes"] = nodes
    return shown


async def _nodes(store: Store, config: Config) -> list[dict[str, Any]] | None:
    """The nodes sharing a PostgreSQL database (None on SQLite: one process, no nodes)."""
    pool = getattr(store, "pool", None)
    if pool is None:
        return None
    from monitor.cluster.status import nodes_status  # asyncpg: the postgresql extra

    return await nodes_status(pool, config.cluster.lease)


def _daemon(
    config: Config, nodes: list[dict[str, Any]] | None, states: list[FeedState | None]
) -> dict[str, Any]:
    """Is a monitor running on this store (its pid, command and start; on PostgreSQL the
    nodes alive), and when a configured feed was last polled."""
    checked = [s.last_checked for s in states if s is not None and s.last_checked]
    last_poll = _iso(max(checked)) if checked else None
    location = config.database_location
    if nodes is not None or isinstance(location, str):  # PostgreSQL: the nodes' heartbeats
        alive = any(n["alive"] for n in nodes or [])
        running = {"running": alive, "pid": None, "command": None, "started": None}
        return {**running, "last_poll": last_poll}
    return {**sqlite_writer(location), "last_poll": last_poll}


def _age(iso: str | None) -> str:
    if not iso:
        return "never"
    seconds = time.time() - datetime.fromisoformat(iso).timestamp()
    future = seconds < 0
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            text = f"{seconds / size:.0f}{unit}"
            break
    else:
        text = f"{seconds:.0f}s"
    return f"in {text}" if future else f"{text} ago"


def _cell(name: str, width: int) -> str:
    """A feed's name in the FEED column, ``width`` long at most. A URL (a feed without a
    name or a title) too long for it keeps its host and its end, the middle elided: keyed
    URLs of one site differ by their path's end and parameters, not by their start."""
    if len(name) <= width:
        return name
    _, sep, rest = name.partition("://")
    if not sep or not rest:
        return name[:width]
    host = rest.split("/", 1)[0][: width // 2]
    return f"{host}…{rest[len(host) - width + 1 :]}"


def render(report: dict[str, Any], *, every_feed: bool = True) -> str:
    """The readable table of ``monitor status``; past ``LISTED`` feeds, without
    ``every_feed``, only the failing ones are rows (a line counts the others)."""
    lines = [daemon_line(report["daemon"], _age, report.get("nodes"))]
    if report["daemon"].get("unhealthy"):  # /healthz's reason: a store it cannot write...
        lines.append(f"Daemon reports: {report['daemon']['unhealthy']}")
    feeds = report["feeds"]
    failing = [f for f in feeds if f["error_streak"] or f.get("malformed")]
    lines.append(f"Feeds: {len(feeds)} configured, {len(failing)} failing")
    width = min(WIDTH, max([len(f["name"]) for f in feeds] + [4]))
    lines.append(
        f"  {'FEED':<{width}}  {'LAST SUCCESS':<13} {'NEXT CHECK':<11} {'FED BY':<19}"
        f" {'ERRORS':>6}  LAST ERROR"
    )
    rows = sorted(feeds, key=lambda f: (-f["error_streak"], f["name"].lower()))
    if not every_feed and len(feeds) > LISTED:
        rows = [f for f in rows if not f["healthy"]]  # failing, broken XML, never polled
    for f in rows:
        error = f["last_error"] if f["error_streak"] else f.get("malformed")
        # Failed fetches in a row; a body whose broken XML may lose items is a problem too.
        errors = f["error_streak"] or ("XML" if f.get("malformed") else 0)
        lines.append(
            f"  {_cell(f['name'], width):<{width}}  {_age(f['last_success']):<13} "
            f"{_age(f['next_check']):<11} {fed_by(f):<19} {errors:>6}  {error or ''}"
        )
    if len(rows) < len(feeds):
        lines.append(
            f"  ... and {len(feeds) - len(rows):,} working feeds (monitor status --all lists"
            " every feed)"
        )
    for f in feeds:
        if f["fetch_url"] and f["fetch_url"] != f["url"]:
            # Followed already, but the config still names the old address (and OPML exports
            # it): the user should know to change it before the old one stops redirecting.
            lines.append(
                f"  {f['name']}: moved permanently to {f['fetch_url']}; polled there, put that"
                " URL in the config"
            )
        if f["last_cut"]:
            lines.append(
                f"  {f['name']}: {f['last_cut']:,} new items past max_new_items stored without"
                f" stories or alerts, {_age(f['last_cut_at'])}"
            )
        if f.get("last_old"):
            n = f["last_old"]
            lines.append(
                f"  {f['name']}: {n:,} item{'s' * (n != 1)} published more than"
                f" {report.get('max_age', '[monitor] max_age')} ago: stored as seen, not news,"
                f" {_age(f['last_old_at'])}"
            )
    lines.append("")
    websub = render_websub(feeds, report.get("websub_refused", {}))
    lines.extend([*websub, ""] if websub else [])
    if report.get("nodes"):
        from monitor.cluster.status import render_nodes

        lines.extend([*render_nodes(report["nodes"]), ""])
    lines.extend(render_status(report["outbox"]))
    c = report["counts"]
    lines.append(
        f"Stored: {c['items']:,} items in {c['stories']:,} stories, {c['matches']:,} matches"
    )
    return "\n".join(lines)
