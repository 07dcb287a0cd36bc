"""The parse thread's work alone: ``parse_feed`` (the fast path, with a fresh feed memory as a
first cycle has) over the ingest bench's feeds of real headlines (bench/realfeeds.py), in CPU
microseconds per item, without the daemon around it: a change to monitor/parse or
monitor/normalize measured to a few percent, where the whole-process bench (bench/ingest.py)
is noisy by 9% at 2 rounds.

``--code DIR`` runs the ``monitor`` package of another checkout (``git worktree add --detach
DIR REV``) in the same run: each round runs both, in fresh processes, the order alternating;
the best and median pass of each, and their ratio, are printed.

``--floor`` prints, for this tree alone, the layers under that figure (best of the passes):
lxml's parse of the bodies alone, then with a walk of every item's children (their tag and
text: what any reader on lxml pays), then ``parse_feed`` without the feed memory, then with it
(the figure above): what is left above the walk is our Python around lxml.

    flock /tmp/bench.lock python bench/parse_speed.py [--feeds 300] [--rounds 3] [--code DIR]
    flock /tmp/bench.lock python bench/parse_speed.py --floor
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def passes(tree: Path, feeds: int, count: int) -> list[float]:
    """In this process: ``count`` passes over every feed with ``tree``'s monitor, CPU us/item."""
    sys.path.insert(0, str(tree))
    sys.path.insert(1, str(BENCH))
    from datetime import UTC, datetime

    from realfeeds import feed_body, real_headlines

    from monitor.parse import parse_feed
    from monitor.parse.known import Recall

    assert Path(sys.modules["monitor"].__file__ or "").parent.parent == tree, "wrong monitor"
    pool = real_headlines()
    bodies = [feed_body(i, 50, pool) for i in range(feeds)]
    headers = {"content-type": "application/rss+xml"}
    now = datetime.now(UTC)
    urls = [f"http://127.0.0.1:8080/feed/{i}" for i in range(feeds)]
    out = []
    for _ in range(count):
        items = 0
        start = time.process_time()
        for url, body in zip(urls, bodies, strict=True):
            recall = Recall(None, url, now.timestamp(), 0.0)
            items += len(parse_feed(body, headers, url=url, now=now, recall=recall).entries)
        out.append((time.process_time() - start) / items * 1e6)
    return out


def floor(feeds: int, count: int) -> None:
    """The layers of the parse thread's work on the bench's bodies, CPU us per item."""
    sys.path.insert(0, str(BENCH.parent))
    sys.path.insert(1, str(BENCH))
    from datetime import UTC, datetime

    from lxml import etree
    from realfeeds import feed_body, real_headlines

    from monitor.parse import parse_feed
    from monitor.parse.fast import _parser
    from monitor.parse.known import Recall

    pool = real_headlines()
    bodies = [feed_body(i, 50, pool) for i in range(feeds)]
    urls = [f"http://127.0.0.1:8080/feed/{i}" for i in range(feeds)]
    headers = {"content-type": "application/rss+xml"}
    now = datetime.now(UTC)
    parser = _parser()
    items = sum(
        len(parse_feed(b, headers, url=u, now=now).entries)
        for u, b in zip(urls, bodies, strict=True)
    )

    def parse() -> None:
        for body in bodies:
            etree.fromstring(body, parser)

    def walk() -> None:
        read = []
        for body in bodies:
            for element in etree.fromstring(body, parser).iter("item"):
                read.extend((child.tag, child.text) for child in element)
            read.clear()

    def without_memory() -> None:
        for url, body in zip(urls, bodies, strict=True):
            parse_feed(body, headers, url=url, now=now)

    def with_memory() -> None:
        for url, body in zip(urls, bodies, strict=True):
            recall = Recall(None, url, now.timestamp(), 0.0)
            parse_feed(body, headers, url=url, now=now, recall=recall)

    print(f"parse thread's layers, {feeds} feeds x 50 real items; best of {count} passes, "
          "CPU us per item")  # fmt: skip
    for name, run in (("lxml parse alone", parse), ("parse + walk the items' children", walk),
                      ("parse_feed, no feed memory", without_memory),
                      ("parse_feed, fresh feed memory", with_memory)):  # fmt: skip
        best = float("inf")
        for _ in range(count):
            start = time.process_time()
            run()
            best = min(best, time.process_time() - start)
        print(f"  {name:32s} {best / items * 1e6:6.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--feeds", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--passes", type=int, default=3, help="passes per process")
    ap.add_argument("--code", type=Path, help="a checkout of the baseline to run beside this one")
    ap.add_argument("--floor", action="store_true", help="the layers under the figure")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.floor:
        floor(args.feeds, max(args.passes, 5))
        return
    if args.child:
        print(json.dumps(passes(args.child.resolve(), args.feeds, args.passes)))
        return
    trees = {"this tree": BENCH.parent}
    if args.code:
        trees["baseline"] = args.code.resolve()
    runs: dict[str, list[float]] = {name: [] for name in trees}
    for r in range(args.rounds):
        order = list(trees) if r % 2 == 0 else list(reversed(trees))
        for name in order:
            command = [sys.executable, __file__, "--child", str(trees[name]),
                       "--feeds", str(args.feeds), "--passes", str(args.passes)]  # fmt: skip
            done = subprocess.run(command, check=True, capture_output=True, text=True)
            runs[name] += json.loads(done.stdout)
    print(f"parse_feed, {args.feeds} feeds x 50 real items, first cycle (fresh memory), "
          f"{args.rounds} rounds x {args.passes} passes; CPU us per item")  # fmt: skip
    for name, values in runs.items():
        print(f"  {name:10s} best {min(values):6.2f}  median {statistics.median(values):6.2f}")
    if args.code:
        best = min(runs["this tree"]) / min(runs["baseline"])
        median = statistics.median(runs["this tree"]) / statistics.median(runs["baseline"])
        print(f"  this tree / baseline: best {best:.3f}x  median {median:.3f}x")


if __name__ == "__main__":
    main()
