"""The event loop's CPU in the ingest bench's first cycle, split by what a poll awaits: thread
CPU (``time.thread_time_ns``) around each step of each part, so a part's figure is its own
work, not the other polls' that ran while it waited.

bench/profile.py's samples (py-spy) say where the loop is, not what it spends there: at
300 feeds they put 5.5 us an item in ``pollstate.record_success``, where its thread CPU is
0.5-0.7. This times the parts of a poll outside the stages after store (fetch, parse
hand-off, the item insert, the trips to the database thread, the steps of ``ingest``), the
stages as one part, and the loop's CPU outside any poll (aiohttp's protocol callbacks,
uvloop, the wake-ups of finished trips). "own" is a part's CPU less the parts timed inside it;
"poll" is ``refresh_feed``. Timing a step costs a few hundred ns, which lands in the part
around it ("poll"'s own most); the loop's total is the cycle's as bench/contenders.py
measures it, timing included. An A/A run at a load of ~7 (300 feeds, 2 rounds) read the
parts under 1.5 us an item within 0.06 of themselves, the insert and the trips within 0.15,
fetch and site_of_feed up to 1.1 apart, the polls beside the stages 24.5 against 26.8 and the
loop's total 2% apart: a change below that is noise.

``--inside`` splits the stages after store too: each call into compiled code (story and event
assignment's indexes, the rules) apart from the Python of ``assign`` and ``stages`` around it.
Those calls are per item: their timing (a few hundred ns each) lands in the part around them,
so compare ``--inside`` runs only with each other. ``--baseline`` takes a checkout's path too
(its compiled modules built there beforehand, not while others wait for the bench lock).

    flock /tmp/bench.lock python bench/loop_split.py [--feeds 300] [--rounds 2] [--baseline REV]
        [--inside]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Coroutine, Generator
from pathlib import Path
from typing import Any

import ingest  # bench/ is on the path when run as a script

BENCH = Path(__file__).resolve().parent
_now = time.thread_time_ns


class Split:
    """Thread CPU by part: own (less the parts inside it), total, and steps."""

    def __init__(self) -> None:
        self.own: Counter[str] = Counter()
        self.total: Counter[str] = Counter()
        self.steps: Counter[str] = Counter()
        self._open: list[list[Any]] = []  # [part, ns of the parts inside it]

    def enter(self) -> int:
        return _now()

    def leave(self, part: str, started: int) -> None:
        spent = _now() - started
        _, inside = self._open.pop()
        self.own[part] += spent - inside
        self.total[part] += spent
        self.steps[part] += 1
        if self._open:
            self._open[-1][1] += spent

    def timed(self, part: str, coro: Coroutine[Any, Any, Any]) -> Generator[Any, Any, Any]:
        """``await``: ``coro``'s steps timed, each from its send to its next yield."""
        value, error = None, None
        while True:
            self._open.append([part, 0])
            started = self.enter()
            try:
                out = coro.throw(error) if error is not None else coro.send(value)
            except StopIteration as done:
                self.leave(part, started)
                return done.value
            except BaseException:
                self.leave(part, started)
                raise
            self.leave(part, started)
            value, error = None, None
            try:
                value = yield out
            except BaseException as exc:  # handed on to the coroutine, as a Task would
                error = exc


class _Awaited:
    def __init__(self, split: Split, part: str, coro: Coroutine[Any, Any, Any]) -> None:
        self.split, self.part, self.coro = split, part, coro

    def __await__(self) -> Generator[Any, Any, Any]:
        return self.split.timed(self.part, self.coro)


def _wrap_async(split: Split, owner: Any, name: str, part: str) -> None:
    fn = getattr(owner, name)

    @functools.wraps(fn)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        return await _Awaited(split, part, fn(*args, **kwargs))

    setattr(owner, name, timed)


def _wrap_sync(split: Split, owner: Any, name: str, part: str) -> None:
    fn: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(fn)
    def timed(*args: Any, **kwargs: Any) -> Any:
        split._open.append([part, 0])
        started = split.enter()
        try:
            return fn(*args, **kwargs)
        finally:
            split.leave(part, started)

    setattr(owner, name, timed)


# (module, attribute holding the function or class, its name, part): a part missing from a
# revision is left out of its figures.
ASYNC = [
    ("monitor.oneshot", None, "refresh_feed", "poll"),
    ("monitor.pipeline", None, "run_stages", "stages after store"),
    ("monitor.pipeline", None, "_store_new", "pipeline._store_new"),
    ("monitor.pipeline", None, "_known_items", "pipeline._known_items"),
    ("monitor.pipeline", None, "parse_off_loop", "parse hand-off"),
    ("monitor.newitems", "item_store", "insert_new", "store.items.insert_new"),
    ("monitor.fetch.client", "Fetcher", "fetch", "fetch"),
    ("monitor.store.sqlitedb", "SqliteDb", "_trip", "trips to the database thread"),
    ("monitor.pollstate", None, "save", "pollstate.save"),
]
SYNC = [
    ("monitor.pollstate", None, "record_success", "pollstate.record_success"),
    ("monitor.pipeline", None, "site_of_feed", "sites.site_of_feed"),
    ("monitor.pipeline", None, "replace", "dataclasses.replace"),
    ("monitor.pipeline", None, "news_only", "newitems.news_only"),
    ("monitor.pipeline", None, "_take_feed_details", "pipeline._take_feed_details"),
    ("monitor.pipeline", "when", "untimed", "events.when.untimed"),
    ("monitor.interpreter", "HeapTrim", "poll_done", "interpreter.HeapTrim.poll_done"),
]


# With --inside: the stages after store split too, the calls into compiled code (dedup,
# events, match) apart from the Python around them.
INSIDE_ASYNC = [
    ("monitor.stages", "Stages", "_assign", "stages._assign"),
]
INSIDE_SYNC = [
    ("monitor.assign", None, "stories", "assign.stories"),
    ("monitor.assign", None, "events", "assign.events"),
    ("monitor.stages", "Stages", "_find_matches", "stages._find_matches"),
    ("monitor.stages", "Stages", "_evict", "stages._evict"),
    ("monitor.dedup.index", "StoryIndex", "find", "compiled: StoryIndex.find"),
    ("monitor.dedup.index", "StoryIndex", "add", "compiled: StoryIndex.add"),
    ("monitor.dedup.labels", "FeedTitles", "read_ahead", "compiled: FeedTitles.read_ahead"),
    ("monitor.dedup.labels", "FeedTitles", "is_label", "compiled: FeedTitles.is_label"),
    ("monitor.events", "EventIndex", "find", "compiled: EventIndex.find"),
    ("monitor.events", "EventIndex", "add", "compiled: EventIndex.add"),
    ("monitor.events", "EventIndex", "read_ahead", "compiled: EventIndex.read_ahead"),
    ("monitor.events", "EventIndex", "embed_ahead", "compiled: EventIndex.embed_ahead"),
    ("monitor.events", "EventIndex", "title", "compiled: EventIndex.title"),
    ("monitor.match", "Matcher", "match", "compiled: Matcher.match"),
]


def child(tree: Path, state: Path, urls: list[str]) -> None:
    """In a process of its own: ``tree``'s monitor through the first cycle, parts timed."""
    import importlib

    sys.path.insert(0, str(tree))
    import contenders

    split = Split()
    tables = [(ASYNC, _wrap_async), (SYNC, _wrap_sync)]
    if os.environ.get("LOOP_SPLIT_INSIDE"):
        tables += [(INSIDE_ASYNC, _wrap_async), (INSIDE_SYNC, _wrap_sync)]
    for table, wrap in tables:
        for module, attr, name, part in table:
            owner = importlib.import_module(module)
            owner = getattr(owner, attr) if attr else owner
            if hasattr(owner, name):
                wrap(split, owner, name, part)
    out = contenders.run_monitor("first", state, urls)
    print(json.dumps({"items": out["items"], "threads": out["threads"], "own": split.own,
                      "total": split.total, "steps": split.steps}))  # fmt: skip


def run(tree: Path, urls: list[str], rules: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        (state / "config.toml").write_text(ingest.monitor_config(state, urls, rules))
        (state / "urls.json").write_text(json.dumps(urls))
        env = {**os.environ, "BENCH_MONITOR_TREE": str(tree), "BENCH_NO_TIMERS": "1"}
        done = subprocess.run([sys.executable, __file__, "--child", str(tree), tmp], env=env,
                              capture_output=True, text=True)  # fmt: skip
        last = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if done.returncode != 0 or not last:
            raise SystemExit(f"bench: {tree}'s monitor failed: {done.stderr[-800:]}")
        return dict(json.loads(last[-1]))


def report(names: list[str], runs: dict[str, list[dict[str, Any]]]) -> None:
    def us(name: str, kind: str, part: str) -> float:
        items = sum(r["items"] for r in runs[name])
        return sum(r[kind].get(part, 0) for r in runs[name]) / items / 1e3

    def loop(name: str) -> float:
        items = sum(r["items"] for r in runs[name])
        return sum(r["threads"]["event loop"] for r in runs[name]) / items * 1e6

    print("thread CPU, us per new item: " + " | ".join(f"{n} own, total" for n in names))
    print("  " + " | ".join(f"{loop(n):7.1f}" + " " * 9 for n in names) + "  event loop")
    first = runs[names[0]]
    parts = sorted(first[0]["total"], key=lambda p: -first[0]["total"][p])
    for part in parts:
        cells = [f"{us(n, 'own', part):7.2f} {us(n, 'total', part):7.2f}" for n in names]
        print("  " + " | ".join(cells) + f"  {part}")
    outside = [loop(n) - us(n, "total", "poll") for n in names]
    print("  " + " | ".join(f"{o:7.2f}" + " " * 8 for o in outside) + "  the loop outside polls")
    beside = [us(n, "total", "poll") - us(n, "total", "stages after store") for n in names]
    print("  " + " | ".join(f"{b:7.2f}" + " " * 8 for b in beside) + "  polls beside the stages")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--feeds", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=2, help="runs of each, interleaved (summed)")
    ap.add_argument(
        "--baseline",
        metavar="REV",
        help="also time monitor as of REV (or as the checkout at the path REV, as built there)",
    )
    ap.add_argument(
        "--inside",
        action="store_true",
        help="split the stages after store too (costs them a few us an item)",
    )
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.inside:
        os.environ["LOOP_SPLIT_INSIDE"] = "1"
    if args.child:
        state = Path(args.child[1])
        child(Path(args.child[0]), state, json.loads((state / "urls.json").read_text()))
        return
    trees = {"this tree": BENCH.parent}
    base = None
    if args.baseline and Path(args.baseline).is_dir():
        # A checkout of the baseline, its compiled modules built beforehand (setup.py
        # build_ext --inplace there), not while others wait for the bench lock.
        trees[args.baseline] = Path(args.baseline).resolve()
    elif args.baseline:
        base = Path(tempfile.mkdtemp(prefix="loop-split-baseline-")) / "tree"
        subprocess.run(["git", "-C", str(BENCH.parent), "worktree", "add", "--detach", str(base),
                        args.baseline], check=True, capture_output=True)  # fmt: skip
        trees[args.baseline] = base
    names = list(trees)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    try:
        with ingest.served(args.feeds) as port:
            urls = [f"http://127.0.0.1:{port}/f/{i}" for i in range(args.feeds)]
            rules = ingest.tracking_rules(ingest.common_words("real", args.feeds, 50))
            for r, name in ingest.interleaved(names, args.rounds):
                runs[name].append(run(trees[name], urls, rules))
                print(f"  round {r + 1}: {name} done", file=sys.stderr)
    finally:
        if base is not None:
            subprocess.run(["git", "-C", str(BENCH.parent), "worktree", "remove", "--force",
                            str(base)], check=False, capture_output=True)  # fmt: skip
    print(f"first cycle of {args.feeds} feeds x 50 items (real headlines), "
          f"{args.rounds} run(s) each")  # fmt: skip
    report(names, runs)


if __name__ == "__main__":
    main()
