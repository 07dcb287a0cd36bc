"""Dedup speed: the cost of assigning one new headline to a story in windows of 10k, 100k and
1M headlines, against a brute-force scan measured in the same run.

Headlines are synthetic: 8-12 words from a Zipfian vocabulary of 50k words, 10% of them
near-duplicates of an earlier one (a word changed, an outlet suffix added). Prints median
and p99 ms per new item, index memory (tracemalloc), recall of the index against brute
force on sampled queries, brute force ms per item (timed on a slice, scaled to the window),
and the time to rebuild the window from the store.

    python bench/dedup_speed.py [--full] [--queries 300]     (--full adds the 1M window)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import parse
from monitor.dedup.index import StoryIndex
from monitor.dedup.score import score_headlines

SYLLABLES = ["ka", "ro", "mi", "ne", "tu", "la", "vo", "zi", "pe", "sha", "lin", "dor", "mar",
             "tes", "qui", "bel", "fen", "gor", "hu", "yan", "ost", "rik"]  # fmt: skip


def make_headlines(n: int, rng: random.Random) -> list[str]:
    vocab = sorted(
        {"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(60_000)}
    )[:50_000]
    weights = [1 / (i + 1) for i in range(len(vocab))]
    out: list[str] = []
    for _ in range(n):
        if out and rng.random() < 0.1:
            words = rng.choice(out[-5000:]).split()
            words[rng.randrange(len(words))] = rng.choices(vocab, weights, k=1)[0]
            out.append(" ".join(words) + rng.choice(["", " - Wire", " | Daily"]))
        else:
            out.append(" ".join(rng.choices(vocab, weights, k=rng.randint(8, 12))).capitalize())
    return out


def brute_force(config: DedupConfig, window: list[str], title: str) -> tuple[int | None, float]:
    headline = parse(title)
    best, best_score = None, 0.0
    for i, other in enumerate(window):
        score = score_headlines(headline, parse(other), config)
        if score >= config.threshold and score > best_score:
            best, best_score = i, score
    return best, best_score


async def rebuild_seconds(headlines: list[str]) -> float:
    """Write the window to a store as items with stories, then time rebuild_index."""
    from monitor.store import Store
    from monitor.store.stories import rebuild_index

    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp) / "bench.db")
        try:
            now = time.time()
            async with store.transaction() as db:
                await db.execute("INSERT INTO feeds (id, url, created_at) VALUES (1, 'x', 0)")
                await db.executemany(
                    "INSERT INTO stories (id, title, first_seen, last_seen) VALUES (?, ?, ?, ?)",
                    [(i + 1, t, now, now) for i, t in enumerate(headlines)],
                )
                await db.executemany(
                    "INSERT INTO items (feed_id, key, title, summary, first_seen, story_id)"
                    " VALUES (1, ?, ?, '', ?, ?)",
                    [(str(i), t, now - i * 0.01, i + 1) for i, t in enumerate(headlines)],
                )
            index = StoryIndex(DedupConfig())
            started = time.perf_counter()
            await rebuild_index(store.db, index, datetime.fromtimestamp(now - 72 * 3600, UTC))
            return time.perf_counter() - started
        finally:
            await store.close()


def run(size: int, queries: int, rng: random.Random) -> None:
    config = DedupConfig()
    headlines = make_headlines(size + queries, rng)
    window, probes = headlines[:size], headlines[size:]
    now = 1_700_000_000.0
    tracemalloc.start()
    index = StoryIndex(config)
    for i, title in enumerate(window):
        index.add(i, title, now)
    memory_mb = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    times = []
    for title in probes:
        started = time.perf_counter()
        index.find(title, "", now, None, None)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    # Recall: of the probes brute force places in a story, how many the index places there.
    sample = probes[: min(60, queries)]
    slice_size = min(size, 20_000)
    started = time.perf_counter()
    hits = agree = 0
    for title in sample:
        truth, _ = brute_force(config, window, title) if size <= 20_000 else (None, 0)
        if size > 20_000:
            continue
        found = index.find(title, "", now, None, None).story_id
        hits += truth is not None
        agree += truth is not None and found is not None
    if size > 20_000:  # brute force on the full window is too slow here: time a slice, scale
        started = time.perf_counter()
        for title in sample[:10]:
            brute_force(config, window[:slice_size], title)
        brute_ms = (time.perf_counter() - started) / 10 * 1000 * size / slice_size
        recall = "n/a (see the 10k and 100k-slice figure)"
        for title in sample:
            truth, _ = brute_force(config, window[-slice_size:], title)
            if truth is not None:
                hits += 1
                agree += index.find(title, "", now, None, None).story_id is not None
        recall = (
            f"{agree / hits:.3f} on {hits} probes with a match in the newest {slice_size:,}"
            if hits
            else recall
        )
    else:
        brute_ms = (time.perf_counter() - started) / len(sample) * 1000
        recall = f"{agree / hits:.3f} on {hits} probes with a match" if hits else "n/a"
    rebuild = asyncio.run(rebuild_seconds(window))
    print(
        f"window {size:>9,}: median {statistics.median(times):.3f} ms, "
        f"p99 {times[int(len(times) * 0.99) - 1]:.3f} ms per new item; index {memory_mb:.0f} MB; "
        f"recall vs brute force {recall}; brute force {brute_ms:,.1f} ms per item "
        f"({brute_ms / statistics.median(times):,.0f}x); rebuild from the store {rebuild:.1f}s"
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--full", action="store_true", help="add the 1M window (about 1.6 GB, minutes)")
    ap.add_argument("--queries", type=int, default=300)
    a = ap.parse_args()
    rng = random.Random(11)
    sizes = [int(x) for x in a.sizes.split(",")] + ([1_000_000] if a.full else [])
    for n in sizes:
        run(n, a.queries, rng)
