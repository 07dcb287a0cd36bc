"""``monitor stories [--since 24h] [--json]``: the stories stored, with their items."""

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
from monitor.plural import plural
from monitor.redact import ITEM_LINKS, shown_data
from monitor.store import feeds as feed_store
from monitor.store.db import Db
from monitor.store.outcomes import mark_removed, outcome_text, with_story_outcomes
from monitor.store.stories import list_stories


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "stories",
        help="the stories stored, with their items",
        description="List the stories in the store, newest first_seen first, with the items "
        "(outlet, headline, link, time) of each, the rules that matched it and the alerts it "
        'raised (channel, kind, status, time). --json prints {"stories": [...]} (first_seen: '
        "when the monitor first saw it, as an event's; published: the earliest date its items "
        "give).",
    )
    add_listing_options(p, "stories")
    p.add_argument("--matched", action="store_true", help="only the stories a rule matched")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    since = since_of(args)
    # Item links and feed addresses may carry a key; titles were cleaned at normalize, but
    # a store written by an older version may still hold a control character.

    async def read(db: Db) -> list[dict[str, Any]]:
        await feed_store.register_moved(db)  # a link may echo the key of a URL a feed moved to
        return await with_story_outcomes(db, await list_stories(db, since))

    config = found_in_store(load_config(args, secrets=False))
    listed = read_store(config, read)
    for story in listed:
        as_alerts_show(story)
    stories = shown_data(listed, ITEM_LINKS)
    names = {r.name for r in config.rules}
    for story in stories:
        mark_removed(story["rules"], names)  # as ``monitor events`` marks them
    if args.matched:
        stories = [x for x in stories if x["rules"]]
    if args.json:
        print_json({"stories": stories})
        return 0
    for story in stories:
        outlets = outlets_of(story["items"])
        print(f"{story['first_seen'][:16].replace('T', ' ')}  {story['title']}")
        print(
            f"    {plural(len(story['items']), 'item')} from {plural(len(outlets), 'outlet')}: "
            + outlets_text(outlets)
        )
        for item in story["items"]:
            via = f" via {item['feed']}" if item["source"] else ""
            outlet = f"{item['source'] or item['feed']}{via}"
            print(f"      {outlet}: {item['title']}  {item['url'] or ''}".rstrip())
        outcome = outcome_text(story["rules"], story["alerts"])
        if outcome and not story["alerts"] and story.get("event_alerted"):
            outcome += f" of its own: its event {story['event']} was alerted"
        if outcome:
            print(f"    {outcome}")
    print(plural(len(stories), "story", "stories"))
    return 0
