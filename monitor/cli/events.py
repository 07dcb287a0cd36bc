"""``monitor events [--since 24h] [--json]``: the events stored, with their stories."""

from __future__ import annotations

import argparse
from typing import Any

from monitor.cli.common import (
    add_listing_options,
    found_in_store,
    load_config,
    outlets_of,
    outlets_text,
    print_json,
    read_store,
    since_of,
)
from monitor.cli.shown import as_alerts_show
from monitor.dedup.outlet import shown_headline
from monitor.plural import plural
from monitor.redact import ITEM_LINKS, shown_data
from monitor.store import feeds as feed_store
from monitor.store.db import Db
from monitor.store.events import list_events
from monitor.store.outcomes import mark_removed, outcome_text, rule_text, with_event_outcomes


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "events",
        help="the events stored, with their stories",
        description="List the events in the store (the coverage of one happening), newest "
        "first, with their stories and the items of each, the rules that matched them and the "
        "alerts they raised (a rule no longer in the config marked removed). --json prints "
        '{"events": [{"id", "title", "first_seen", "published", "last_seen", "stories": [...]}]}'
        " (first_seen: when the monitor first saw it; published: the earliest date its items"
        " give).",
    )
    add_listing_options(p, "events")
    p.add_argument("--matched", action="store_true", help="only the events a rule matched")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    since = since_of(args)

    async def read(db: Db) -> list[dict[str, Any]]:
        await feed_store.register_moved(db)  # a link may echo the key of a URL a feed moved to
        return await with_event_outcomes(db, await list_events(db, since))

    config = found_in_store(load_config(args, secrets=False))
    listed = read_store(config, read)
    for event in listed:
        event["title"] = shown_headline(event["title"]) or event["title"]
        for story in event["stories"]:
            as_alerts_show(story)
    events = shown_data(listed, ITEM_LINKS)
    # A rule's matches stay under its name after a reload removed (or renamed) it, marked
    # removed: its message went out naming it, and the event was matched.
    names = {r.name for r in config.rules}
    for event in events:
        mark_removed(event["rules"], names)
        for story in event["stories"]:
            mark_removed(story["rules"], names)
    if args.matched:
        events = [x for x in events if x["rules"]]
    if args.json:
        print_json({"events": events})
        return 0
    for event in events:
        outlets = outlets_of(i for s in event["stories"] for i in s["items"])
        items = sum(len(s["items"]) for s in event["stories"])
        print(f"{event['first_seen'][:16].replace('T', ' ')}  {event['title']}")
        print(
            f"    {plural(len(event['stories']), 'story', 'stories')}, {plural(items, 'item')} "
            f"from {plural(len(outlets), 'outlet')}: " + outlets_text(outlets)
        )
        outcome = outcome_text(event["rules"], event["alerts"])
        if outcome:
            print(f"    {outcome}")
        for story in event["stories"]:
            matched = ", ".join(rule_text(r) for r in story["rules"])
            tail = f"; matched: {matched}" if matched else ""
            print(f"      {story['title']}  ({plural(len(story['items']), 'item')}{tail})")
    print(plural(len(events), "event"))
    return 0
