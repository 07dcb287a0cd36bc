"""Silence alerts over real publishing rhythms: the UCI stream's publishers as feeds.

Each publisher of the UCI slice (36 h of real aggregator timestamps, bursts and a night
included) is a feed whose items are first seen at the poll after their timestamp. Its first
24 h are replayed ``--days`` times in a row (a day's real rhythm, every day), then the feed
stops for good. Health is checked once a minute through ``feedhealth.transitions``, of this
checkout and of ``--baseline`` (its module from git, its rhythm as its ``rhythms`` reads the
store: the median gap of the last 20 items), in the same run. Printed: silence alerts
("has published nothing") per feed-day while the feeds work, how many feeds raised one, and
after how long a feed that stopped for good is told (it must be, once).

    python bench/health_silence.py --baseline 69b8fd7 [--health-after 1h] [--poll 600]
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import itertools
import math
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "uci-news-2014-03"

from monitor import feedhealth
from monitor.configtypes import parse_duration
from monitor.store.feeds import FeedState

DAY = 86400.0
STEP = 60.0  # the daemon checks health once a minute


def streams(days: int, poll: float) -> dict[str, list[float]]:
    """Each publisher's first-seen times: its first day of the slice, ``days`` times over
    (0: the whole slice once, 36 h)."""
    with next(DATA.glob("*.csv")).open(encoding="utf-8") as f:
        rows = list(csv.reader(f))[1:]
    t0 = min(int(r[7]) / 1000 for r in rows)
    by: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        t = int(r[7]) / 1000 - t0
        if not days:
            by[r[3]].append(math.ceil(t / poll) * poll)
        elif t < DAY:
            by[r[3]] += [math.ceil((t + d * DAY) / poll) * poll for d in range(days)]
    return {name: sorted(ts) for name, ts in by.items() if len({t for t in ts if t < DAY}) >= 6}


def baseline_module(rev: str) -> ModuleType:
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{rev}:monitor/feedhealth.py"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    path = Path(tempfile.mkdtemp()) / "feedhealth_base.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("feedhealth_base", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def old_rhythm(module: ModuleType) -> Callable[[Sequence[float]], Any]:
    """The baseline's ``rhythms`` on the items first seen so far."""

    def rhythm(seen: Sequence[float]) -> float | None:
        times = sorted({round(t) for t in seen[-module.RHYTHM_ITEMS :]})
        gaps = [b - a for a, b in itertools.pairwise(times) if b > a]
        return statistics.median(gaps) if len(gaps) >= module.MIN_RHYTHM_ITEMS - 1 else None

    return rhythm


def new_rhythm(seen: Sequence[float]) -> Any:
    """This checkout's ``rhythms``: the window before the last new item."""
    last = seen[-1]
    return feedhealth.rhythm_of([t for t in seen if t >= last - feedhealth.RHYTHM_WINDOW])


def replay(
    times: list[float], transitions: Any, rhythm_of: Any, health_after: float, end: float
) -> tuple[int, int, float | None]:
    """Silence alerts while it works, recoveries, and when it was told after it stopped."""
    state = FeedState(id=1, url="f", last_new_item=None)
    stale = recovered = 0
    told: float | None = None
    seen: list[float] = []
    rhythm = None
    i = 0
    now = times[0]
    while now <= end:
        while i < len(times) and times[i] <= now:
            seen.append(times[i])
            i += 1
            state.last_new_item = times[i - 1]
            rhythm = None
        quiet = now - (state.last_new_item or now)
        if quiet >= health_after or state.health_alerted:
            if rhythm is None and seen:
                rhythm = rhythm_of(seen)
            for event in transitions(
                [state], {}, now=now, health_after=health_after, rhythms={"f": rhythm}
            ):
                state.health_alerted = event.said
                if event.kind == "stale":
                    if i == len(times):
                        told = now - times[-1]
                    else:
                        stale += 1
                elif event.kind == "recovered":
                    recovered += 1
        # Nothing can change before the next item, or before health_after of quiet.
        upcoming = times[i] if i < len(times) else end + STEP
        if not state.health_alerted and seen:
            upcoming = min(upcoming, seen[-1] + health_after)
        now = max(now + STEP, now + STEP * math.floor((upcoming - now) / STEP))
    return stale, recovered, told


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", metavar="REV", required=True)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--health-after", default="6h")
    parser.add_argument("--poll", type=float, default=600.0, help="seconds between polls")
    parser.add_argument("--margin", type=float, help="try another QUIET_MARGIN")
    parser.add_argument("--after-stop", type=int, default=14, help="days watched after a stop")
    args = parser.parse_args()
    health_after = parse_duration(args.health_after)
    if args.margin:
        feedhealth.QUIET_MARGIN = args.margin
    feeds = streams(args.days, args.poll)
    base = baseline_module(args.baseline)
    replayed = f"their first day x {args.days}" if args.days else "the 36 h slice once"
    print(
        f"{len(feeds)} UCI publishers with 6+ items a day; {replayed}; "
        f"first seen at polls every {args.poll:g}s; health_after {args.health_after}"
    )
    for label, transitions, rhythm in (
        (f"baseline {args.baseline}", base.transitions, old_rhythm(base)),
        ("this checkout", feedhealth.transitions, new_rhythm),
    ):
        alerts = recoveries = flapped = 0
        told: list[float] = []
        for times in feeds.values():
            end = (args.days or 1.5) * DAY + args.after_stop * DAY
            s, r, t = replay(times, transitions, rhythm, health_after, end)
            alerts, recoveries, flapped = alerts + s, recoveries + r, flapped + (s > 0)
            if t is not None:
                told.append(t / 3600)
        feed_days = len(feeds) * (args.days or 1.5)
        told.sort()
        print(
            f"{label:>18}: {alerts} silence alerts while working ({alerts / feed_days:.3f} "
            f"per feed-day), {recoveries} 'working again'; {flapped}/{len(feeds)} feeds raised "
            f"one. Stopped for good: {len(told)}/{len(feeds)} told"
            + (
                f", after median {statistics.median(told):.1f} h, 90th pct "
                f"{told[int(0.9 * (len(told) - 1))]:.1f} h, max {told[-1]:.1f} h"
                if told
                else ""
            )
        )


if __name__ == "__main__":
    main()
