"""Event decisions and titles over real text, compared with another revision's, and timed.

A change meant to make the events layer cheaper must not change one decision. This replays
three streams through ``EventIndex`` as the store drives it (find then add per item, polls of
50, the titles of the events a poll created and touched chosen after it, the window evicted
as it goes) and writes every event id, reason, score (repr) and title to a JSON file:

1. the UCI stream in time order, items of one story (from story matching) as the daemon
   sees them;
2. 60,000 headlines of UCI and STS, each a story of its own, a third with a summary (another
   headline), every fifth followed by a second item of its story, over three windows;
3. the ingest bench's first cycle (bench/realfeeds.py: 300 feeds x 50 real headlines, each
   with a summary of about 300 characters; a feed is a poll), stories from story matching:
   most items join a story that already has its event, and bring their summary's words;
   each poll's headlines parsed just before its events (off the clock), as the daemon's
   story matching leaves them in parse's cache.

Each stream's event work (find, add, title, evict: thread CPU, the best of ``--rounds``) is
printed in us per item; stories are assigned before the clock starts.

    python bench/events_same.py after.json
    python bench/events_same.py after.json --baseline main   # REV's monitor/ in the same run
    python bench/events_same.py after.json --baseline ../base  # a checkout, compiled if built

``--baseline`` names a revision (its ``monitor`` as Python) or a checkout, whose compiled
modules it runs where ``setup.py build_ext --inplace`` built them: like for like with a
compiled tree.

``--baseline REV`` runs REV's ``monitor`` package (git archive into a temporary folder) through
these same streams in a child process, rounds interleaved with this checkout's, and prints
both timings and the number of entries that differ (the goal: 0).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# ``--src``: a checkout's monitor package to import instead of this one (must come first).
if "--src" in sys.argv:
    sys.path.insert(0, sys.argv[sys.argv.index("--src") + 1])
    import monitor  # noqa: F401  (bound now, before events_quality puts this checkout first)

from dedup_quality import assign_stories, load
from events_quality import WINDOW, uci_rows
from realfeeds import real_headlines

from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import parse
from monitor.dedup.index import StoryIndex
from monitor.events import EventConfig, EventIndex

language: Callable[[str, str], str | None] | None
try:  # a baseline from before items' languages were told has none to ask
    from monitor.dedup.languages import language
except ImportError:
    language = None

POLL = 50
FEEDS = 300  # the ingest bench's usual --feeds
Stream = Callable[[], tuple[list[Any], float, int]]  # -> (entries, seconds, items)


def uci_stream(rows: list[list[str]]) -> Stream:
    stories = assign_stories(rows, DedupConfig())

    def run() -> tuple[list[Any], float, int]:
        index = EventIndex(EventConfig(), WINDOW)
        out: list[Any] = []
        seen_story: set[int] = set()
        started = time.thread_time()
        for start in range(0, len(rows), POLL):
            created, touched = [], set()
            for i in range(start, min(start + POLL, len(rows))):
                title, story, at = rows[i][1], stories[i], int(rows[i][7]) / 1000
                found = index.find(story, title, "", at)
                event = i if found.event_id is None else found.event_id
                if found.event_id is None:
                    created.append(event)
                index.add(event, story, title, "", at, new_story=story not in seen_story)
                seen_story.add(story)
                touched.add(event)
                out.append((event, found.reason, repr(found.score)))
            out.append(titles(index, created, touched))
            if start % 20_000 == 0:
                index.evict(at - WINDOW)
        return out, time.thread_time() - started, len(rows)

    return run


def mixed_stream(rows: list[list[str]], size: int = 60_000) -> Stream:
    heads = [r[1] for r in rows] + [t for p in ("train", "dev", "test") for _, a, b in load(p)
                                    for t in (a, b)]  # fmt: skip

    def run() -> tuple[list[Any], float, int]:
        index = EventIndex(EventConfig(), WINDOW)
        out: list[Any] = []
        t0 = 1_700_000_000.0
        started = time.thread_time()
        for start in range(0, size, POLL):
            created, touched = [], set()
            for i in range(start, start + POLL):
                at = t0 + 3 * WINDOW * i / size
                title = heads[i % len(heads)]
                summary = heads[(i * 7) % len(heads)] if i % 3 == 0 else ""
                found = index.find(i, title, summary, at)
                event = i if found.event_id is None else found.event_id
                if found.event_id is None:
                    created.append(event)
                index.add(event, i, title, summary, at)
                out.append((event, found.reason, repr(found.score)))
                if i % 5 == 0:
                    again = index.find(i, title, "", at)
                    index.add(event, i, title, "", at, new_story=False)
                    out.append((again.event_id, again.reason, repr(again.score)))
                touched.add(event)
            out.append(titles(index, created, touched))
            if start % 5_000 == 0:
                index.evict(at - WINDOW)
        return out, time.thread_time() - started, size + size // 5

    return run


def ingest_stream(feeds: int = FEEDS, items: int = POLL) -> Stream:
    """The ingest bench's items in its order, stories assigned by StoryIndex as the daemon
    does (each copy of a headline has its own link and GUID), seen 2 ms apart."""
    pool = real_headlines()
    stories = StoryIndex(DedupConfig())
    t0 = 1_700_000_000.0
    polls: list[list[tuple[int, str, str, float]]] = []
    for f in range(feeds):
        poll = []
        for j in range(items):
            n = f * items + j
            h, at, url = pool[n % len(pool)], t0 + n * 0.002, f"https://feed{f}.test/{j}"
            found = stories.find(h.title, h.summary, at, url, url)
            story = n if found.story_id is None else found.story_id
            stories.add(story, n, h.title, h.summary, at, url, url)
            poll.append((story, h.title, h.summary, at))
        polls.append(poll)

    def run() -> tuple[list[Any], float, int]:
        index = EventIndex(EventConfig(), WINDOW)
        # a baseline from before feeds were known to the event index reads no feed
        knows_feeds = hasattr(index, "read_ahead")
        out: list[Any] = []
        seen_story: set[int] = set()
        new_ids = iter(range(10**9, 2 * 10**9))
        started = time.thread_time()
        for feed, poll in enumerate(polls):
            created, touched = [], set()
            # The daemon's story matching parses a poll's headlines just before its events
            # are assigned (parse's cache then holds them): so here, off the clock.
            # It tells each item's language too (``languages.language``, cached), where
            # there is one to tell.
            pause = time.thread_time()
            for _, title, summary, _ in poll:
                parse(title)
                if language is not None:
                    language(title, summary)
            started += time.thread_time() - pause
            # each poll is one feed's, read with it as the daemon reads it (its labels and
            # boilerplate)
            by_feed: dict[str, int] = {"feed": feed} if knows_feeds else {}
            if knows_feeds:
                index.read_ahead([(feed, title, summary) for _, title, summary, _ in poll])
            for story, title, summary, at in poll:
                found = index.find(story, title, summary, at, **by_feed)
                event = next(new_ids) if found.event_id is None else found.event_id
                if found.event_id is None:
                    created.append(event)
                index.add(event, story, title, summary, at, new_story=story not in seen_story,
                          **by_feed)  # fmt: skip
                seen_story.add(story)
                touched.add(event)
                out.append((event, found.reason, repr(found.score)))
            out.append(titles(index, created, touched))
        return out, time.thread_time() - started, feeds * items

    return run


def titles(index: EventIndex, created: list[int], touched: set[int]) -> list[tuple[int, str]]:
    """As the store asks: the created events' titles, then every touched one's."""
    first = [(e, index.title(e)) for e in created]
    return first + [(e, index.title(e)) for e in sorted(touched) if index.has(e)]


def measure(out: str, rounds: int) -> None:
    """Run the streams ``rounds`` times; write the entries to ``out`` and the best us per
    item of each stream to ``out``.times.json."""
    rows = uci_rows()
    streams = {"uci": uci_stream(rows), "mixed": mixed_stream(rows), "ingest": ingest_stream()}
    result: dict[str, list[Any]] = {}
    times: dict[str, float] = {}
    for _ in range(rounds):
        for name, stream in streams.items():
            entries, seconds, items = stream()
            result[name] = entries
            times[name] = min(times.get(name, float("inf")), seconds / items * 1e6)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(result, f)
    Path(out + ".times.json").write_text(json.dumps(times))


def run_checkout(src: Path | None, out: Path, rounds: int) -> dict[str, float]:
    command = [sys.executable, __file__, str(out), "--measure", "--rounds", str(rounds)]
    subprocess.run(command + (["--src", str(src)] if src else []), check=True)
    times: dict[str, float] = json.loads(Path(str(out) + ".times.json").read_text())
    return times


def differences(a: Path, b: Path) -> dict[str, int]:
    """Entries that differ, per stream (a missing stream counts all of the other's)."""
    left, right = json.loads(a.read_text()), json.loads(b.read_text())
    out = {}
    for name in sorted(set(left) | set(right)):
        x, y = left.get(name, []), right.get(name, [])
        out[name] = sum(p != q for p, q in zip(x, y, strict=False)) + abs(len(x) - len(y))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", help="JSON file for this checkout's entries")
    parser.add_argument("--baseline", metavar="REV", help="also run REV's monitor/, compare")
    parser.add_argument("--rounds", type=int, default=2, help="timed rounds (the best counts)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--src", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(args.out, args.rounds)
        return
    print(f"load average {os.getloadavg()[0]:.2f}")
    if not args.baseline:
        times = run_checkout(None, Path(args.out), args.rounds)
        entries = sum(len(v) for v in json.loads(Path(args.out).read_text()).values())
        print(f"{entries} decisions and title lists in {args.out}")
        for name, us in times.items():
            print(f"  {name:<7} {us:7.1f} us per item (events: find, add, titles, evict)")
        return
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(args.baseline)
        if not src.is_dir():  # a revision: its monitor/ as Python
            archive = subprocess.run(["git", "-C", str(root), "archive", args.baseline, "monitor"],
                                     check=True, capture_output=True).stdout  # fmt: skip
            subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
            src = Path(tmp)
        # else a checkout, its compiled modules too (built with setup.py build_ext --inplace)
        base_out = Path(tmp) / "baseline.json"
        base: dict[str, float] = {}
        this: dict[str, float] = {}
        for _ in range(args.rounds):  # interleaved: this machine's speed drifts
            for name, us in run_checkout(src, base_out, 1).items():
                base[name] = min(base.get(name, float("inf")), us)
            for name, us in run_checkout(None, Path(args.out), 1).items():
                this[name] = min(this.get(name, float("inf")), us)
        diff = differences(base_out, Path(args.out))
        entries = sum(len(v) for v in json.loads(Path(args.out).read_text()).values())
    print(f"{entries} decisions and title lists; entries that differ from {args.baseline}: "
          f"{sum(diff.values())} ({', '.join(f'{k} {v}' for k, v in diff.items())})")  # fmt: skip
    print(f"event work per item, best of {args.rounds} interleaved rounds (us, thread CPU):")
    for name in this:
        b = base.get(name, float("nan"))
        print(f"  {name:<7} {args.baseline}: {b:7.1f}   this checkout: {this[name]:7.1f}"
              f"   ({this[name] / b:.2f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
