"""``monitor events [--since 24h] [--json]``: the events stored, with their stories."""

from __future__ import annotations

import argparse

from monitor.cli.common import (
    add_listing_options,
    load_config,
    outlets_text,
    print_json,
    read_store,
    since_of,
)
from monitor.redact import shown_data
from monitor.store.events import list_events


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "events",
        help="the events stored, with their stories",
        description="List the events in the store (the coverage of one happening), newest "
        "first, with their stories and the items of each. --json prints "
        '{"events": [{"id", "title", "first_seen", "last_seen", "stories": [...]}]}.',
    )
    add_listing_options(p, "events")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    since = since_of(args)
    events = shown_data(
        read_store(load_config(args, secrets=False), lambda db: list_events(db, since))
    )
    if args.json:
        print_json({"events": events})
        return 0
    for event in events:
        outlets = list(dict.fromkeys(i["feed"] for s in event["stories"] for i in s["items"]))
        items = sum(len(s["items"]) for s in event["stories"])
        print(f"{event['first_seen'][:16].replace('T', ' ')}  {event['title']}")
        print(
            f"    {len(event['stories'])} stories, {items} items from {len(outlets)} outlets: "
            + outlets_text(outlets)
        )
        for story in event["stories"]:
            print(f"      {story['title']}  ({len(story['items'])} items)")
    print(f"{len(events)} events")
    return 0
