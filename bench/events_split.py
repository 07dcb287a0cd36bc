"""Where event assignment's and rule matching's CPU goes, per new item of the ingest bench.

The ingest bench's first cycle (bench/realfeeds.py: real UCI and STS headlines with summaries
of about 300 characters, ``--feeds`` feeds x 50 items, its rules: the example config's
entities and seed rule and 40 topic rules) is run through the whole pipeline once, feed after
feed, and each poll's new items are kept as the stages hand them to events and rules (title,
summary, story, whether the story is new, when seen, feed). Then, in this process, thread CPU,
the best of ``--rounds``:

- event assignment as ``assign.events`` drives ``EventIndex`` (find then add per item, each
  poll's created and touched events titled after it), split: an item of a story the event
  holds already (a copy: most items) and an item of a new story, find and add apart; titles;
- rule matching (``Matcher.match`` per item), split: folding and the automaton's scan, the
  terms found from its hits, the matches explained (``explain``: hits, snippet, Match), the
  rest (the rules the found terms trigger).

Event assignment's parts are read off the clock around each call (one clock read a call
taken out); rule matching's are timed each on its own over the same inputs (those of
``find_terms`` and ``explain`` kept from a first pass), the rest being the whole less them.
What it prints is a profile, not the yardstick: bench/ingest.py gives the shares in the
daemon.

    python bench/events_split.py [--feeds 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH.parent), str(BENCH)]

Row = tuple[str, str, str, str, tuple[str, ...], int, bool, float]
Poll = list[Row]


async def capture(feeds: int, items: int) -> tuple[str, list[Poll]]:
    """The polls' new items as the stages see them, and the bench's rules (TOML)."""
    from ingest import common_words, tracking_rules
    from realfeeds import feed_body, news_of_any_age, real_headlines

    from monitor import config as config_module
    from monitor import stages
    from monitor.engine import Engine
    from monitor.pipeline import ingest_pushed

    polls: list[Poll] = []
    original = stages.Stages._find_matches

    def keep(self: Any, changes: Any) -> Any:
        polls.append([(c.story.item.item.title, c.story.item.item.summary,
                       c.story.item.feed_name, c.story.item.feed_url,
                       tuple(c.story.item.feed_tags), c.story.story.id,
                       c.story.is_new_story, c.story.item.seen_at.timestamp())
                      for c in changes])  # fmt: skip
        return original(self, changes)

    pool = real_headlines()
    rules = "\n".join(tracking_rules(common_words("real", feeds, items)))
    stages.Stages._find_matches = keep  # type: ignore[method-assign]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            lines = ["[monitor]", f'database = "{tmp}/split.db"']
            for i in range(feeds):
                lines += ["[[feeds]]", f'url = "http://127.0.0.1:9/f/{i}"', f'name = "o{i % 40}"']
            config = config_module.loads(news_of_any_age("\n".join(lines) + "\n" + rules), base_dir=Path(tmp))
            engine = await Engine.open(config)
            try:
                headers = {"content-type": "application/rss+xml"}
                for i, feed in enumerate(config.feeds):
                    await ingest_pushed(engine.rt, feed, feed_body(i, items, pool), headers)
            finally:
                await engine.close()
    finally:
        stages.Stages._find_matches = original  # type: ignore[method-assign]
    return rules, polls


def clock_read() -> float:
    """Thread CPU seconds of one clock read (each part of event assignment has one)."""
    clock = time.thread_time
    start = clock()
    for _ in range(20_000):
        clock()
    return (clock() - start) / 20_000


def events(polls: list[Poll], window: float) -> Counter[str]:
    """One pass of event assignment over the polls: seconds by part, calls by part."""
    from monitor.dedup.headline import parse
    from monitor.events import EventConfig, EventIndex

    index = EventIndex(EventConfig(), window)
    new_ids = iter(range(10**9, 2 * 10**9))
    spent = Counter[str]()
    clock = time.thread_time
    for poll in polls:
        heads = [parse(row[0]) for row in poll]  # story matching's, handed over: off the clock
        created, touched = [], set()
        for (title, summary, _, _, _, story, is_new, seen), headline in zip(
            poll, heads, strict=True
        ):
            start = clock()
            found = index.find(story, title, summary, seen, headline=headline)
            middle = clock()
            copy = found.reason == "same story"
            event = next(new_ids) if found.event_id is None else found.event_id
            if found.event_id is None:
                created.append(event)
            index.add(event, story, title, summary, seen, headline=headline,
                      new_story=is_new or not copy)  # fmt: skip
            end = clock()
            kind = "copy" if copy else "new story"
            spent[f"{kind}: find"] += middle - start
            spent[f"{kind}: add"] += end - middle
            spent[f"{kind}: find calls"] += 1
            spent[f"{kind}: add calls"] += 1
            touched.add(event)
        start = clock()
        for event in created:
            index.title(event)
        for event in sorted(touched):
            if index.has(event):
                index.title(event)
        spent["titles after each poll"] += clock() - start
        spent["titles after each poll calls"] += 1
    return spent


def rules(polls: list[Poll], toml: str, rounds: int) -> dict[str, float]:
    """Rule matching over the polls, the best of ``rounds``: seconds of the whole and of its
    parts, each part timed on its own over the same inputs (the inputs of ``find_terms`` and
    ``explain`` kept from a first pass)."""
    from monitor import config as config_module
    from monitor.match import compile_rules
    from monitor.match import matcher as module
    from monitor.match.scan import find_terms, scan
    from monitor.match.text import fold

    config = config_module.loads('[monitor]\ndatabase = "x.db"\n' + toml, base_dir=BENCH)
    matcher = compile_rules(config.rules, config.entities)
    rows = [row for poll in polls for row in poll]
    kept: dict[str, list[Any]] = {"find_terms": [], "explain": []}
    saved = {name: getattr(module, name) for name in kept}

    def keeper(name: str) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            kept[name].append(args)
            return saved[name](*args)

        return call

    for name in kept:
        setattr(module, name, keeper(name))
    try:
        for title, summary, feed, url, tags, *_ in rows:
            matcher.match(title, summary, feed_name=feed, feed_url=url, tags=tags)
    finally:
        for name, original in saved.items():
            setattr(module, name, original)
    automaton = matcher.automaton

    def whole() -> None:
        for title, summary, feed, url, tags, *_ in rows:
            matcher.match(title, summary, feed_name=feed, feed_url=url, tags=tags)

    def folded() -> None:
        for title, summary, *_ in rows:
            scan(automaton, fold(title)[0] + "\x00" + fold(summary)[0])

    def terms() -> None:
        for args in kept["find_terms"]:
            find_terms(*args)

    def explained() -> None:
        # an item's matches share their snippets: a fresh dict per item, as match makes
        fresh: dict[int, dict[Any, Any]] = {}
        for args in kept["explain"]:
            if len(args) == 5:  # an item with several matches: their snippets shared
                args = (*args[:4], fresh.setdefault(id(args[4]), {}))
            saved["explain"](*args)

    out: dict[str, float] = {}
    parts = {"all": whole, "fold and scan": folded, "terms found": terms,
             "matches explained": explained}  # fmt: skip
    for _ in range(rounds):
        for name, part in parts.items():
            start = time.thread_time()
            part()
            out[name] = min(out.get(name, float("inf")), time.thread_time() - start)
    out["matches"] = len(kept["explain"])
    return out


def best(runs: list[Counter[str]]) -> Counter[str]:
    return min(runs, key=lambda r: sum(v for k, v in r.items() if not k.endswith(" calls")))


def show_events(spent: Counter[str], items: int, read: float) -> None:
    """Each part's time less one clock read a call (the one that ends it)."""
    print("event assignment (EventIndex.find, .add; titles as assign.events asks them)")
    total = 0.0
    for name, seconds in spent.items():
        if not name.endswith(" calls"):
            calls = spent[name + " calls"]
            own = seconds - calls * read
            total += own
            print(f"  {name}: {own / items * 1e6:.1f} us per item ({calls:,} calls)")
    print(f"  all: {total / items * 1e6:.1f} us per item")


def show_rules(spent: dict[str, float], items: int) -> None:
    print(f"rule matching (Matcher.match; {spent['matches']:,.0f} matches)")
    parts = 0.0
    for name in ("fold and scan", "terms found", "matches explained"):
        parts += spent[name]
        print(f"  {name}: {spent[name] / items * 1e6:.1f} us per item")
    rest = (spent["all"] - parts) / items * 1e6
    print(f"  the rest (the rules the terms trigger, the call): {rest:.1f} us per item")
    print(f"  all: {spent['all'] / items * 1e6:.1f} us per item")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    toml, polls = asyncio.run(capture(args.feeds, args.items))
    items = sum(len(p) for p in polls)
    new = sum(row[6] for p in polls for row in p)
    print(f"{args.feeds} feeds x {args.items} items: {items:,} new items, {new:,} new stories")
    read = clock_read()
    show_events(best([events(polls, 72 * 3600.0) for _ in range(args.rounds)]), items, read)
    show_rules(rules(polls, toml, args.rounds), items)
    print(f"(taken out of each part of event assignment: {read * 1e6:.2f} us, a clock read)")


if __name__ == "__main__":
    main()
