"""``monitor dedup-check A B`` / ``--pairs FILE.tsv`` ``[--json]``: are two headlines one story?"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.cli.common import add_config_option, load_config_or_defaults, read_store
from monitor.config import Config
from monitor.configtypes import format_duration
from monitor.dedup.reply import Apart, words_in
from monitor.dedup.score import Figures, verdict
from monitor.errors import InputError
from monitor.events import EventIndex, compare
from monitor.events.compare import InWindow, Placed, in_window
from monitor.store.db import Db
from monitor.store.events import rebuild_index


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "dedup-check",
        help="score two headlines: one story? one event?",
        description="Print the similarity (0-100) of two headlines and whether the config's "
        "[dedup] settings make them one story, then their event similarity (0-1), the words "
        "it rests on and whether [events] makes them one event, as a pair alone (the "
        "daemon's rules as a window too young to know which words are common applies them). "
        "--window "
        "also says what the daemon would do with them now: its window read from the "
        "store, where a story is scored against all of its event's words. --pairs reads "
        "headline1<TAB>headline2 lines and writes one JSON object a line: "
        '{"score": float, "duplicate": bool}, with "reply_apart" (as in --json) when a reply '
        "keeps a pair that scores as one story apart.",
    )
    add_config_option(p)
    p.add_argument("headlines", nargs="*", metavar="HEADLINE", help="two headlines")
    p.add_argument("--pairs", metavar="FILE", help="a TSV file of headline pairs ('-' for stdin)")
    p.add_argument(
        "--window",
        action="store_true",
        help="also place both headlines, arriving now, among the events of the store's window",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    full = load_config_or_defaults(args, "scoring", secrets=False)
    config = full.dedup
    if args.pairs is None:
        if len(args.headlines) != 2:
            raise InputError("give two headlines, or --pairs FILE")
        a, b = args.headlines
        score, duplicate, why, figures = verdict(a, b, config)
        event = compare((a, ""), (b, ""), full.events)
        placed = _in_window(full, a, b) if args.window else None
        if args.json:
            print(
                json.dumps(
                    {
                        "score": round(score, 2),
                        "duplicate": duplicate,
                        "threshold": config.threshold,
                        "reply_apart": _apart_json(why, a, b),
                        "figures_apart": _figures_json(figures),
                        "event": {
                            "score": round(event.score, 3),
                            "same_event": event.same_event,
                            "threshold": full.events.threshold,
                            "same_event_if_recent": event.same_if_recent,
                            "refused_below_threshold": event.refused,
                            "recent_threshold": full.events.recent_threshold,
                            "shared_words": list(event.shared),
                        },
                    }
                    | ({"window": _window_json(placed)} if placed is not None else {}),
                    ensure_ascii=False,
                )
            )
        else:
            said = "the same story" if duplicate else "different stories"
            if why:
                said += f": {_apart_text(why, a, b)}"
            elif figures:
                said += f": {_figures_text(figures)}"
            print(f"story: score {score:.1f} (threshold {config.threshold:g}): {said}")
            recent = format_duration(full.events.recent)
            same = (
                "the same event"
                if event.same_event
                else f"the same event if within {recent} of its last item"
                if event.same_if_recent
                else f"different events (within {recent} the similarity would do, but below the "
                "threshold a join needs two words in common besides words news uses of many "
                "happenings: talks, city, officials...)"
                if event.refused
                else "different events"
            )
            words = ", ".join(event.shared) or "none"
            print(
                f"event: similarity {event.score:.2f} (threshold {full.events.threshold:g}, "
                f"{full.events.recent_threshold:g} within {recent}; shared words: {words}; "
                f"the pair alone): {same}"
            )
            if placed is not None:
                print(_window_text(placed))
            elif not event.same_event:
                print(
                    "  (the pair alone is judged as a young window would: the daemon scores a "
                    "story against all of its event's words, other stories' and summaries "
                    "included, and keeps apart headlines sharing only names common in its "
                    "window's news, a head of state's: --window says what it would do now)"
                )
        return 0
    if args.headlines:
        raise InputError("give either two headlines or --pairs FILE, not both")
    try:
        text = (
            sys.stdin.read() if args.pairs == "-" else Path(args.pairs).read_text(encoding="utf-8")
        )
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {args.pairs}: {exc}") from None
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise InputError(f"{args.pairs}:{number}: expected two headlines separated by a tab")
        score, duplicate, why, figures = verdict(parts[0], parts[1], config)
        pair: dict[str, Any] = {"score": round(score, 2), "duplicate": duplicate}
        if why:
            pair["reply_apart"] = _apart_json(why, parts[0], parts[1])
        if figures:
            pair["figures_apart"] = _figures_json(figures)
        out.append(json.dumps(pair))
    sys.stdout.write("\n".join(out) + ("\n" if out else ""))
    return 0


def _apart_json(why: Apart, a: str, b: str) -> dict[str, list[str]] | None:
    """The reply words that keep a pair apart, each headline's as written (None: none)."""
    if not why:
        return None
    return {"a": list(words_in(a, why.first)), "b": list(words_in(b, why.second))}


def _apart_text(why: Apart, a: str, b: str) -> str:
    """Why a pair that scores as one story is two: the reply one reports and the other not."""
    said = [
        " / ".join(f'"{w}"' for w in words_in(t, s)) for t, s in ((a, why.first), (b, why.second))
    ]
    if said[0] and said[1]:
        return f"A reports a reply ({said[0]}), B one of another kind ({said[1]})"
    one, other = ("A", "B") if said[0] else ("B", "A")
    return (
        f"{one} reports a reply ({said[0] or said[1]}) that {other} does not: a reaction is "
        "news of its own, not a copy of what it answers"
    )


def _figures_json(figures: Figures) -> dict[str, list[str]] | None:
    """The figures that keep a pair apart, each headline's that the other lacks (None: none)."""
    return {"a": list(figures.first), "b": list(figures.second)} if figures else None


def _figures_text(figures: Figures) -> str:
    """Why a pair is two stories whatever its words: a figure of each that the other lacks."""
    return (
        f"figures differ: {', '.join(figures.first)} vs {', '.join(figures.second)} (a revised "
        "figure is news of its own, not a copy)"
    )


def _in_window(config: Config, a: str, b: str) -> InWindow:
    """Both headlines placed among the events of the store's window, as new stories now."""
    now = time.time()

    async def read(db: Db) -> InWindow:
        index = EventIndex(config.events, config.dedup.window)
        since = datetime.fromtimestamp(now - config.dedup.window, UTC)
        items = await rebuild_index(db, index, since)
        return in_window(index, items, a, b, now)

    return read_store(config, read)


def _placed_text(which: str, placed: Placed) -> str:
    if placed.event_id is None:
        return f"{which} would start an event"
    words = ", ".join(placed.shared) or "none"
    return (
        f'{which} would join event {placed.event_id} "{placed.title}" (similarity '
        f"{placed.score:.2f}; shared words: {words})"
    )


def _window_text(w: InWindow) -> str:
    second = _placed_text("B", w.second)
    if w.second.event_id is None and w.same_event:
        second = f"B would join it (similarity {w.second.score:.2f})"
    verdict = "the same event" if w.same_event else "different events"
    return (
        f"daemon, now (its window: {w.items} items; headlines alone, no summaries): "
        f"{_placed_text('A', w.first)}; {second}: {verdict}"
    )


def _window_json(w: InWindow) -> dict[str, Any]:
    return {
        "items": w.items,
        "same_event": w.same_event,
        **{
            name: {
                "event": p.event_id,
                "title": p.title,
                "score": round(p.score, 3),
                "shared_words": list(p.shared),
            }
            for name, p in (("a", w.first), ("b", w.second))
        },
    }
