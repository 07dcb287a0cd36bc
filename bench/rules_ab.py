"""Rule matching alone, before and after: ``Matcher.match`` over the ingest bench's items with
its rules, this checkout against another, in the same interleaved rounds.

The items are the real headlines of bench/realfeeds.py (title and summary, as the pipeline
hands them to the matcher), the rules those of bench/ingest.py (the example config's entities
and seed rule, 40 topic rules over the headlines' commonest words) and bench/alerts_same.py's
other kinds. Each checkout runs in a child process of its own (``--code``) that compiles the
rules, matches every item once to warm the stem cache, as a running daemon has it (its
collector set as the daemon sets it), then times ``--passes`` passes in thread CPU and prints
the best. Rounds alternate which checkout goes
first; the median of the rounds' best is printed, as us per item, with the ratio. Each child
also prints a hash of every match it made (rule, hits, snippet): the two must agree.

    python bench/rules_ab.py --baseline-code /work/base-xxx [--rounds 3] [--passes 3]
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def child(code: str, passes: int) -> None:
    sys.path[:0] = [code, str(BENCH)]
    from alerts_same import EXTRA_RULES
    from ingest import common_words, tracking_rules
    from realfeeds import news_of_any_age, real_headlines

    from monitor import config as config_module
    from monitor.match import compile_rules

    pool = real_headlines()
    rules = tracking_rules(common_words("real", 1000, 50)) + EXTRA_RULES
    config = config_module.loads(news_of_any_age("\n".join(rules)), secrets=False)
    matcher = compile_rules(config.rules, config.entities)
    items = [(h.title, h.summary, h.publisher) for h in pool]
    # The collector as the daemon runs it (``interpreter.settle_heap``): start-up frozen.
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    digest = hashlib.sha256()
    matches = 0
    for title, summary, feed in items:
        for m in matcher.match(title, summary, feed_name=feed):
            matches += 1
            digest.update(repr(m).encode())
    match = matcher.match
    best = float("inf")
    for _ in range(passes):
        started = time.thread_time()
        for title, summary, feed in items:
            match(title, summary, feed_name=feed)
        best = min(best, time.thread_time() - started)
    print(
        json.dumps(
            {"us": best / len(items) * 1e6, "items": len(items), "matches": matches,
             "digest": digest.hexdigest()[:16]}
        )
    )  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--baseline-code", help="a checkout of the baseline")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--code", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.code:
        child(a.code, a.passes)
        return
    trees = {"this tree": str(BENCH.parent), "baseline": str(Path(a.baseline_code).resolve())}
    runs: dict[str, list[dict[str, float | str]]] = {name: [] for name in trees}
    for n in range(a.rounds):
        order = list(trees) if n % 2 == 0 else list(reversed(trees))
        for name in order:
            out = subprocess.check_output(
                [sys.executable, __file__, "--code", trees[name], "--passes", str(a.passes)],
                text=True,
            )
            runs[name].append(json.loads(out.splitlines()[-1]))
    for name, results in runs.items():
        us = sorted(float(r["us"]) for r in results)
        print(
            f"{name}: {us[len(us) // 2]:.2f} us/item (rounds {', '.join(f'{u:.2f}' for u in us)}),"
            f" {results[0]['items']} items, {results[0]['matches']} matches,"
            f" digest {results[0]['digest']}"
        )
    mine = sorted(float(r["us"]) for r in runs["this tree"])
    theirs = sorted(float(r["us"]) for r in runs["baseline"])
    print(f"ratio {mine[len(mine) // 2] / theirs[len(theirs) // 2]:.3f}x")
    if runs["this tree"][0]["digest"] != runs["baseline"][0]["digest"]:
        print("MATCHES DIFFER")


if __name__ == "__main__":
    main()
