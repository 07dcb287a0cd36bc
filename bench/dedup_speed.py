"""Dedup speed: the cost of assigning one new headline to a story in windows of 10k, 100k and
1M headlines, against brute force measured in the same run.

Headlines are synthetic but shaped like news: 6-12 words drawn with Zipfian (Zipf-Mandelbrot) frequencies from
a vocabulary of the real words of the STS and UCI headlines (read at run time) plus 100k
made-up names; stop words as often as in real headlines; 10% of them are near-duplicates of
a recent one (a word changed or dropped, words swapped, a wire tag or an outlet suffix
added). Every item has a canonical URL and a GUID, as real items do.

Prints, per window: median and p99 ms per new item (find), index memory (RSS growth while
building it, and the index's own estimate), recall against brute force on sampled probes
(brute force is exact: a rapidfuzz token_set_ratio prefilter over the whole window, which
cannot miss a pair the score accepts, then the score itself), brute-force ms per item (the
same score over every headline of the window: timed on a slice and scaled, said so), and
the time to rebuild the window from the store.

    python bench/dedup_speed.py            # 10k, 100k and 1M (about 8 minutes on 2 cores)
    python bench/dedup_speed.py --quick    # 10k and 100k

The find + add line on real headlines (--stream) also says how many items of the stream
went to another story than with --baseline's code: a change for speed must leave it at 0.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import real_stream

from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import STOP_WORDS, parse
from monitor.dedup.index import StoryIndex
from monitor.dedup.score import score_headlines

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
NOW = 1_700_000_000.0
SYLLABLES = [
    "ka",
    "ro",
    "mi",
    "ne",
    "tu",
    "la",
    "vo",
    "zi",
    "pe",
    "sha",
    "lin",
    "dor",
    "mar",
    "tes",
    "qui",
    "bel",
    "fen",
    "gor",
    "hu",
    "yan",
    "ost",
    "rik",
]


def vocabulary(rng: random.Random) -> list[str]:
    words: set[str] = set()
    for name in ("train", "dev", "test"):
        text = (DATA / "sts-headlines" / f"{name}.tsv").read_text(encoding="utf-8")
        words.update(re.findall(r"[A-Za-z]+", text))
    with next((DATA / "uci-news-2014-03").glob("*.csv")).open(encoding="utf-8") as f:
        for row in csv.reader(f):
            words.update(re.findall(r"[A-Za-z]+", row[1]))
    real = sorted(w for w in words if w.casefold() not in STOP_WORDS)
    names = {
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()
        for _ in range(120_000)
    }
    vocab = real + sorted(names)
    rng.shuffle(vocab)  # Zipf rank independent of spelling
    return vocab


class Words:
    """The vocabulary with its Zipf-Mandelbrot weights, and the stop words."""

    def __init__(self, rng: random.Random) -> None:
        self.vocab = vocabulary(rng)
        self.cum: list[float] = []
        total = 0.0
        for i in range(len(self.vocab)):
            total += 1 / (i + 100)  # Zipf-Mandelbrot: no one content word in 5% of headlines
            self.cum.append(total)
        self.stops = sorted(STOP_WORDS)

    def edited(self, headline: str, rng: random.Random) -> str:
        """A near-duplicate: a word changed or dropped, two swapped, a tag or suffix added."""
        words = headline.split()
        edit = rng.randrange(4)
        if edit == 0:
            words[rng.randrange(len(words))] = rng.choices(self.vocab, cum_weights=self.cum)[0]
        elif edit == 1 and len(words) > 5:
            del words[rng.randrange(len(words))]
        elif edit == 2:
            i = rng.randrange(len(words) - 1)
            words[i], words[i + 1] = words[i + 1], words[i]
        text = " ".join(words)
        return (rng.choice(["", "UPDATE 1-", "EXCLUSIVE: "]) + text
                + rng.choice(["", " - Wire", " | Daily Post"]))  # fmt: skip


def make_headlines(n: int, rng: random.Random) -> tuple[list[str], Words]:
    words = Words(rng)
    out: list[str] = []
    for _ in range(n):
        if out and rng.random() < 0.1:
            out.append(words.edited(rng.choice(out[-5000:]), rng))
        else:
            drawn = rng.choices(words.vocab, cum_weights=words.cum, k=rng.randint(4, 8))
            for _ in range(rng.randint(2, 4)):
                drawn.insert(rng.randrange(len(drawn) + 1), rng.choice(words.stops))
            out.append(" ".join(drawn).capitalize())
    return out, words


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


async def write_store(path: Path, headlines: list[str]) -> None:
    """The window as items with stories in a store, with the parsed headline
    (``items.headline_key``) as ``assign`` stores it."""
    from monitor.assign import KEY_PREFIX as _KEY_PREFIX
    from monitor.store import Store

    store = await Store.open(path)
    try:
        async with store.transaction() as db:
            await db.execute("INSERT INTO feeds (id, url, created_at) VALUES (1, 'x', 0)")
            await db.execute_many(
                "INSERT INTO stories (id, title, first_seen, last_seen) VALUES (?, ?, ?, ?)",
                ((i + 1, t, NOW, NOW) for i, t in enumerate(headlines)),
            )
            await db.execute_many(
                "INSERT INTO items (feed_id, key, guid, canonical_url, title, summary,"
                " first_seen, story_id, headline_key) VALUES (1, ?, ?, ?, ?, '', ?, ?, ?)",
                (
                    (str(i), f"g{i}", f"https://news.example/{i}", t, NOW - i * 0.01, i + 1,
                     _KEY_PREFIX + parse(t).key())
                    for i, t in enumerate(headlines)
                ),
            )  # fmt: skip
    finally:
        await store.close()


async def rebuild(path: Path) -> None:
    """Time ``rebuild_index`` in this (fresh) process, as the daemon does at start; print
    the seconds and the RSS growth."""
    from monitor.store import Store
    from monitor.store.stories import rebuild_index

    store = await Store.open(path)
    try:
        rss = rss_mb()
        index = StoryIndex(DedupConfig())
        started = time.perf_counter()
        await rebuild_index(store.db, index, datetime.fromtimestamp(NOW - 72 * 3600, UTC))
        print(f"{time.perf_counter() - started:.1f} {rss_mb() - rss:.0f}")
    finally:
        await store.close()


def rebuild_seconds(headlines: list[str]) -> tuple[float, float]:
    """Write the window to a store, then rebuild the index from it in a new process (a
    restart starts with nothing else in memory); its seconds and RSS growth."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        asyncio.run(write_store(path, headlines))
        out = subprocess.run([sys.executable, __file__, "--rebuild", str(path)], check=True,
                             capture_output=True, text=True).stdout.split()  # fmt: skip
        return float(out[0]), float(out[1])


def brute_force(config: DedupConfig, window: list[str], texts: list[str], titles: list[str]
                ) -> list[set[int]]:  # fmt: skip
    """Exact: the headlines of the window that score ``threshold`` or more against each title.

    The score is a blend of token_set_ratio and token_sort_ratio, less penalties, so a pair
    it accepts has one of the two at ``threshold`` or more: rapidfuzz finds those in C over
    the whole window (both cores), then the score itself decides.
    """
    out: list[set[int]] = []
    for start in range(0, len(titles), 25):
        batch = [parse(t) for t in titles[start : start + 25]]
        near = np.zeros((len(batch), len(texts)), dtype=bool)
        for scorer in (fuzz.token_set_ratio, fuzz.token_sort_ratio):
            near |= process.cdist([h.text for h in batch], texts, scorer=scorer, dtype=np.float32,
                                  score_cutoff=config.threshold, workers=-1) > 0  # fmt: skip
        for headline, row in zip(batch, near, strict=True):
            out.append({int(i) for i in np.flatnonzero(row)
                        if score_headlines(headline, parse(window[i]), config) >= config.threshold})  # fmt: skip
    return out


def recall(truth: list[set[int]], found: list[int | None]) -> tuple[int, int, int, int]:
    """Probes brute force places, those the index places, those it places where brute
    force would, and those it places that brute force does not."""
    pairs = list(zip(truth, found, strict=True))
    return (sum(1 for t, _ in pairs if t), sum(1 for t, f in pairs if t and f is not None),
            sum(1 for t, f in pairs if f in t), sum(1 for t, f in pairs if f is not None and not t))  # fmt: skip


def run(size: int, queries: int, samples: int, near: int, rng: random.Random) -> None:
    config = DedupConfig()
    headlines, words = make_headlines(size + queries, rng)
    window, probes = headlines[:size], headlines[size:]
    rss = rss_mb()
    index = StoryIndex(config)
    started = time.perf_counter()
    for i, title in enumerate(window):
        url = f"https://news.example/{i}"
        index.add(i, i, title, "", NOW, url, url)  # the GUID is the link, as in most feeds
    build_s = time.perf_counter() - started
    memory = f"{rss_mb() - rss:.0f} MB RSS growth, {index.memory_bytes() / 2**20:.0f} MB estimated"
    parse.cache_clear()
    times = []
    for title in probes:
        started = time.perf_counter()
        index.find(title, "", NOW)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    # Recall against brute force, on two samples: the stream's own new headlines (few have a
    # match in the window: at 1M, 19 of 150), and near-duplicates (edited as the stream edits
    # its copies) of headlines drawn uniformly from the whole window, most of which have one.
    texts = [parse(t).text for t in window]
    parse.cache_clear()
    in_window = set(window)
    picked = random.Random(size + 1)
    kinds = {
        "stream": [t for t in probes if t not in in_window][:samples],
        "near-duplicate": [words.edited(picked.choice(window), picked) for _ in range(near)],
    }
    started = time.perf_counter()
    truth = {kind: brute_force(config, window, texts, sample) for kind, sample in kinds.items()}
    prefilter_ms = (time.perf_counter() - started) / (samples + near) * 1000
    counts = {kind: recall(truth[kind], [index.find(t, "", NOW).story_id for t in sample])
              for kind, sample in kinds.items()}  # fmt: skip  # story id = window position
    hits, agree, same, extra = (sum(c[i] for c in counts.values()) for i in range(4))
    parts = "; ".join(f"{kind} probes {c[1]}/{c[0]} of {len(kinds[kind])}"
                      for kind, c in counts.items())  # fmt: skip
    placed = (f"{agree / hits:.3f} ({agree}/{hits} probes brute force places: {parts}; {same} "
              f"found one brute force accepts" if hits else "n/a (")  # fmt: skip
    # Brute force with the score itself over every headline: timed on a slice, scaled.
    slice_size = min(size, 20_000)
    parsed = [parse(t) for t in window[:slice_size]]
    started = time.perf_counter()
    for title in kinds["stream"][:3]:
        headline = parse(title)
        for other in parsed:
            score_headlines(headline, other, config)
    brute_ms = (time.perf_counter() - started) / 3 * 1000 * size / slice_size
    scaled = "" if slice_size == size else f", scaled from {slice_size:,}"
    del index, texts, parsed, truth
    rebuild_s, rebuild_mb = rebuild_seconds(window)
    median = statistics.median(times)
    print(
        f"window {size:>9,}: median {median:.3f} ms, p99 {times[int(len(times) * 0.99) - 1]:.3f}"
        f" ms per new item; index {memory} (built in {build_s:.1f}s); recall vs brute force "
        f"{placed}, {extra} found that brute force did not); brute force {brute_ms:,.0f} ms per "
        f"item{scaled} ({brute_ms / median:,.0f}x the median), with a C prefilter "
        f"{prefilter_ms:,.0f} ms; rebuild from the store {rebuild_s:.1f}s in a fresh process "
        f"(RSS growth {rebuild_mb:.0f} MB); load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )


STREAM_ITEMS = 2000  # new items timed after the window is built


def stream_child(src: Path, size: int, decisions: Path) -> None:
    """In a fresh process, with the ``monitor`` package of ``src``: a window of ``size`` real
    headlines built as the daemon builds it (find, then add to the story found), then find +
    add timed for each of the next ``STREAM_ITEMS``; prints the median, mean and p99 in us,
    the items that joined a story, and the part of the median that is parsing the headline.
    The story of every item, window and timed ones, goes to ``decisions`` (64-bit ids)."""
    sys.path.insert(0, str(src))
    for name in [m for m in sys.modules if m == "monitor" or m.startswith("monitor.")]:
        del sys.modules[name]
    from monitor.dedup import headline as headline_module
    from monitor.dedup.config import DedupConfig as Config
    from monitor.dedup.index import StoryIndex as Index

    try:  # as `monitor run` does (older trees did it in the window itself)
        from monitor.interpreter import map_large_blocks
    except ImportError:
        pass
    else:
        map_large_blocks()
    titles = real_stream.headlines(size + STREAM_ITEMS)
    index = Index(Config())
    stories = array("q")

    def one(i: int, title: str) -> bool:
        url = f"https://news.example/{i}"
        found = index.find(title, "", NOW, url, url)
        story = i if found.story_id is None else found.story_id
        index.add(story, i, title, "", NOW, url, url)
        stories.append(story)
        return found.story_id is not None

    for i, title in enumerate(titles[:size]):
        one(i, title)
    headline_module.parse.cache_clear()
    # CPU time of this thread: wall time on a machine shared with other work counts the
    # time the process waited for a core, which swamps the p99.
    times, joined = [], 0
    for i, title in enumerate(titles[size:], size):
        started = time.thread_time()
        joined += one(i, title)
        times.append((time.thread_time() - started) * 1e6)
    headline_module.parse.cache_clear()
    parsing = []
    for title in titles[size:]:
        started = time.thread_time()
        headline_module.parse(title)
        parsing.append((time.thread_time() - started) * 1e6)
    times.sort()
    decisions.write_bytes(stories.tobytes())
    print(statistics.median(times), statistics.mean(times), times[int(len(times) * 0.99) - 1],
          joined, statistics.median(parsing))  # fmt: skip


def stream(size: int, baseline: str, rounds: int) -> None:
    """What the daemon pays per new item, find then add, at a window of ``size`` real headlines
    (``real_stream``), for this tree and for ``baseline`` (a git revision, checked out in a
    temporary worktree), each in fresh processes, alternating, ``rounds`` times."""
    here = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"this tree": here}
        if baseline:
            base = Path(tmp) / "baseline"
            subprocess.run(["git", "-C", str(here), "worktree", "add", "--detach", str(base),
                            baseline], check=True, capture_output=True)  # fmt: skip
            trees = {f"baseline {baseline}": base, **trees}
        try:
            runs: dict[str, list[list[float]]] = {name: [] for name in trees}
            stories: dict[str, bytes] = {}
            for _ in range(rounds):
                for name, src in trees.items():
                    decisions = Path(tmp) / "decisions"
                    out = subprocess.run(
                        [sys.executable, __file__, "--stream-child", str(src), str(size),
                         str(decisions)],
                        check=True, capture_output=True, text=True,
                    ).stdout.split()  # fmt: skip
                    runs[name].append([float(x) for x in out])
                    stories.setdefault(name, decisions.read_bytes())
        finally:
            if baseline:
                subprocess.run(["git", "-C", str(here), "worktree", "remove", "--force",
                                str(base)], check=False, capture_output=True)  # fmt: skip
    for name, results in runs.items():
        median, mean, p99, joined, parsing = (statistics.median(r[i] for r in results)
                                              for i in range(5))  # fmt: skip
        print(f"stream, window {size:,} real headlines, {name}: find + add median {median:.0f} us"
              f" CPU per new item (mean {mean:.0f}, p99 {p99:,.0f}; of the median, parsing the "
              f"headline {parsing:.0f} us); {joined:.0f} of {STREAM_ITEMS} joined a story; "
              f"medians of {rounds} fresh processes; load average {os.getloadavg()[0]:.2f}",
              flush=True)  # fmt: skip
    if baseline:
        # Same decisions: the story each item of the stream went to, this tree vs baseline.
        ours, theirs = (array("q", stories[name]) for name in ("this tree", f"baseline {baseline}"))
        changed = [i for i, (a, b) in enumerate(zip(ours, theirs, strict=True)) if a != b]
        print(f"stream, window {size:,}: {len(changed)} of {len(ours):,} items placed in another"
              f" story than by baseline {baseline}", flush=True)  # fmt: skip
        if changed:
            show_changes(changed, ours, theirs, size, baseline)


def show_changes(changed: list[int], ours: array[int], theirs: array[int], size: int,
                 baseline: str, shown: int = 8) -> None:  # fmt: skip
    """A few of the changed decisions, spread over the stream, so that a reader can judge
    them: the item's headline, and the first headline of the story each tree put it in (a
    story's id is the position of its first item; its own id: a new story)."""
    titles = real_stream.headlines(size + STREAM_ITEMS)

    def story(i: int, of: int) -> str:
        return "a new story" if of == i else f"story of {titles[of]!r}"

    step = max(1, len(changed) // shown)
    for i in changed[::step][:shown]:
        print(f"  item {i:,} {titles[i]!r}:\n    this tree: {story(i, ours[i])}\n"
              f"    baseline {baseline}: {story(i, theirs[i])}", flush=True)  # fmt: skip


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="only the 10k and 100k windows")
    ap.add_argument("--sizes", help="comma-separated window sizes (overrides --quick)")
    ap.add_argument("--queries", type=int, default=1000, help="new items timed per window")
    ap.add_argument("--probes", type=int, help="stream probes checked against brute force per"
                    " window (default: 500, 150 at 1M, where brute force is dearest)")  # fmt: skip
    ap.add_argument("--near", type=int, default=150, help="near-duplicate probes checked"
                    " against brute force per window")  # fmt: skip
    ap.add_argument("--stream", default="50000", help="window sizes of the find + add line on"
                    " real headlines ('' for none)")  # fmt: skip
    ap.add_argument("--baseline", default="main", help="the git revision whose code the find +"
                    " add line is measured against, in the same run ('' for none)")  # fmt: skip
    ap.add_argument("--rounds", type=int, default=3, help="find + add rounds, baseline and this"
                    " tree alternating")  # fmt: skip
    ap.add_argument("--rebuild", metavar="DB", help=argparse.SUPPRESS)  # the child process
    ap.add_argument(
        "--stream-child", nargs=3, metavar=("SRC", "SIZE", "OUT"), help=argparse.SUPPRESS
    )
    a = ap.parse_args()
    if not a.stream_child:  # the windows are built as `monitor run` builds them
        from monitor.interpreter import map_large_blocks

        map_large_blocks()
    if a.rebuild:
        try:  # as `monitor run` does before its engine opens (older trees did not)
            from monitor.interpreter import pause_collector
        except ImportError:
            pass
        else:
            pause_collector()
        asyncio.run(rebuild(Path(a.rebuild)))
        sys.exit(0)
    if a.stream_child:
        stream_child(Path(a.stream_child[0]), int(a.stream_child[1]), Path(a.stream_child[2]))
        sys.exit(0)
    sizes = [10_000, 100_000] if a.quick else [10_000, 100_000, 1_000_000]
    if a.sizes is not None:  # "" for none (the find + add line alone)
        sizes = [int(x) for x in a.sizes.split(",") if x]
    for n in sizes:
        probes = a.probes or (150 if n >= 10**6 else 500)
        run(n, max(a.queries, probes), probes, a.near, random.Random(n))
    for n in [int(x) for x in a.stream.split(",") if x]:
        stream(n, a.baseline, a.rounds)
