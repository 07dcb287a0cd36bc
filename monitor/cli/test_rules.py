"""``monitor test-rules (--text T | --file F | --since 24h) [--json]``: which rules match."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from monitor.cli.common import add_config_option, found_in_store, load_config, print_json
from monitor.cli.feedtitles import stored_titles
from monitor.config import Config
from monitor.configtypes import parse_duration
from monitor.errors import InputError
from monitor.match import Matcher, compile_rules, format_match, match_to_json
from monitor.normalize import clean_text
from monitor.redact import shown, shown_data
from monitor.store import Store
from monitor.store import items as item_store
from monitor.textfold import compared_feed


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "test-rules",
        help="show which rules match a text, a file or the stored items, with the terms that fired",
        description="Run the config's rules over a text (--text), a file (--file: its first "
        "line is the title, the rest the summary) or the items stored in the last DURATION "
        "(--since 24h), and show each match with the terms that fired and where.",
    )
    add_config_option(p)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--text", metavar="T", help="a headline or text to test")
    source.add_argument("--file", metavar="F", help="a file to test (first line: the title)")
    source.add_argument(
        "--since", metavar="DURATION", help='stored items of the last DURATION ("24h")'
    )
    p.add_argument(
        "--feed",
        metavar="NAME",
        help="with --text or --file: test it as an item of this feed (its name or URL in the "
        "config, or the title a feed without a name had when last polled), so rules scoped to "
        "feeds or tags are tried too",
    )
    p.add_argument("--json", action="store_true", help='print {"matches": [...]} as JSON')
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = found_in_store(load_config(args, secrets=False))
    matcher = compile_rules(config.rules, config.entities)
    if args.since is not None:
        if args.feed is not None:
            raise InputError("--feed goes with --text or --file (stored items have their feed)")
        try:
            seconds = parse_duration(args.since)
        except ValueError as exc:
            raise InputError(f"--since: {exc}") from None
        results = asyncio.run(_stored(config, matcher, seconds))
    else:
        if args.file is not None:
            try:
                text = Path(args.file).read_text(encoding="utf-8", errors="replace")
            except OSError as exc:
                raise InputError(f"cannot read {args.file}: {exc.strerror or exc}") from None
        else:
            text = args.text
        lines = [line.strip() for line in text.splitlines() if line.strip()] or [""]
        # As the daemon reads an item: markup out, entities decoded, NFC (a decomposed "Ö"
        # or a soft hyphen inside a cased word would otherwise miss here and fire there).
        title, summary = clean_text(lines[0]), clean_text(" ".join(lines[1:]))
        feed_name, feed_url, tags = _as_feed(config, args.feed)
        found = matcher.match(title, summary, feed_name=feed_name, feed_url=feed_url, tags=tags)
        results = [({"title": title}, m) for m in found]
        if args.feed is None:
            for note in _not_tried(config):
                print(shown(note), file=sys.stderr)
    # Stored items name their feed by its URL when it has no name, and their links may carry
    # a key: what is printed passes the readers' redaction, as status and stories do.
    if args.json:
        matches = [{**match_to_json(m), "item": item} for item, m in results]
        print_json(shown_data({"matches": matches}))
    else:
        for item, m in results:
            if len(item) > 1:
                print(shown(f"{item['feed']}: {item['title']}"))
            print(shown(format_match(m)))
        print(f"{len(results)} match{'es' if len(results) != 1 else ''}", file=sys.stderr)
    return 0


def _as_feed(config: Config, feed: str | None) -> tuple[str, str, tuple[str, ...]]:
    """The feed name, URL and tags a text is tested as, as the daemon names the configured
    feed named, at or titled ``feed`` (``runtime.feed_name``: its name, else the title it had
    when last polled, else its URL)."""
    if feed is None:
        return "", "", ()
    wanted = compared_feed(feed)
    found = next(
        (f for f in config.feeds if wanted in (compared_feed(f.url), compared_feed(f.name or ""))),
        None,
    )
    # The store is read only where a title counts: a feed without a name goes by its title.
    titles = stored_titles(config) if found is None or not found.name else {}
    if found is None:
        titled = (f for f in config.feeds if compared_feed((titles or {}).get(f.url, "")) == wanted)
        found = next(titled, None)
    if found is None:
        known = "" if titles is not None else " (the store cannot say the feeds' titles)"
        print(
            shown(
                f"monitor: warning: --feed {feed!r}: no feed here is named that, has that URL"
                f" or had that title when last polled{known}; tested as a feed of that name"
            ),
            file=sys.stderr,
        )
        return feed, feed if "://" in feed else "", ()
    return found.name or (titles or {}).get(found.url) or found.url, found.url, tuple(found.tags)


def _not_tried(config: Config) -> list[str]:
    """A line for each rule a text without a feed cannot match: it is scoped to feeds or tags."""
    notes = []
    for rule in config.rules:
        scope = [
            f"{what} {', '.join(repr(x) for x in values)}"
            for what, values in (("feeds", rule.feeds), ("tags", rule.tags))
            if values
        ]
        if scope:
            notes.append(
                f"rule {rule.name!r} not tried: it is only for {' and '.join(scope)};"
                " --feed NAME tests the text as that feed's item"
            )
    return notes


async def _stored(
    config: Config, matcher: Matcher, seconds: float
) -> list[tuple[dict[str, Any], Any]]:
    names = {f.url: f.name for f in config.feeds}
    tags = {f.url: tuple(f.tags) for f in config.feeds}
    store = await Store.open_readonly(config.database_location)
    try:
        rows = await item_store.since_with_feed(store.db, time.time() - seconds)
    finally:
        await store.close()
    results = []
    for title, summary, url, feed_url, feed_title in rows:
        feed = names.get(feed_url) or feed_title or feed_url
        for m in matcher.match(
            title, summary, feed_name=feed, feed_url=feed_url, tags=tags.get(feed_url, ())
        ):
            results.append(({"feed": feed, "title": title, "url": url}, m))
    return results
