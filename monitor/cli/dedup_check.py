"""``monitor dedup-check A B`` / ``--pairs FILE.tsv`` ``[--json]``: are two headlines one story?"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from monitor.cli.common import add_config_option, load_config_or_defaults
from monitor.configtypes import format_duration
from monitor.dedup.score import is_duplicate
from monitor.errors import InputError
from monitor.events import compare


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "dedup-check",
        help="score two headlines: one story? one event?",
        description="Print the similarity (0-100) of two headlines and whether the config's "
        "[dedup] settings make them one story, then their event similarity (0-1), the words "
        "it rests on and whether [events] makes them one event. --pairs reads "
        "headline1<TAB>headline2 lines and writes one JSON object a line: "
        '{"score": float, "duplicate": bool}.',
    )
    add_config_option(p)
    p.add_argument("headlines", nargs="*", metavar="HEADLINE", help="two headlines")
    p.add_argument("--pairs", metavar="FILE", help="a TSV file of headline pairs ('-' for stdin)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    full = load_config_or_defaults(args, "scoring", secrets=False)
    config = full.dedup
    if args.pairs is None:
        if len(args.headlines) != 2:
            raise InputError("give two headlines, or --pairs FILE")
        a, b = args.headlines
        score, duplicate = is_duplicate(a, b, config)
        event = compare((a, ""), (b, ""), full.events)
        if args.json:
            print(
                json.dumps(
                    {
                        "score": round(score, 2),
                        "duplicate": duplicate,
                        "threshold": config.threshold,
                        "event": {
                            "score": round(event.score, 3),
                            "same_event": event.same_event,
                            "threshold": full.events.threshold,
                            "same_event_if_recent": event.same_if_recent,
                            "recent_threshold": full.events.recent_threshold,
                            "shared_words": list(event.shared),
                        },
                    },
                    ensure_ascii=False,
                )
            )
        else:
            verdict = "the same story" if duplicate else "different stories"
            print(f"story: score {score:.1f} (threshold {config.threshold:g}): {verdict}")
            recent = format_duration(full.events.recent)
            same = (
                "the same event"
                if event.same_event
                else f"the same event if within {recent} of its last item"
                if event.same_if_recent
                else "different events"
            )
            words = ", ".join(event.shared) or "none"
            print(
                f"event: similarity {event.score:.2f} (threshold {full.events.threshold:g}, "
                f"{full.events.recent_threshold:g} within {recent}; shared words: {words}): "
                f"{same}"
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
        score, duplicate = is_duplicate(parts[0], parts[1], config)
        out.append(json.dumps({"score": round(score, 2), "duplicate": duplicate}))
    sys.stdout.write("\n".join(out) + ("\n" if out else ""))
    return 0
