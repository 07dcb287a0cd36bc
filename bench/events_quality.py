"""Events quality and cost on real data, with the baselines measured in the same run.

UCI News Aggregator (../shared/data/uci-news-2014-03): headlines in time order through the
StoryIndex (stories, as the pipeline makes them) and then the EventIndex (events); pairwise
precision / recall / F1 of the events against the STORY label, on the first half of the stream
(where the defaults were tuned), the second half and the whole. Baselines: today's stories
taken as events, and a naive single-pass TF-IDF centroid clustering (each headline joins the
open cluster of highest cosine >= 0.1 over all open clusters, else starts one).

Alerts: a rule set of ordinary topic rules replayed over the stream; "new" alerts per
(rule, labelled event) pair with alerts per story (today) and per event, and the pairs that
alert today but not per event. Both again without the check that refuses a join resting on
one shared word found in other open events ("Google"), to show what that check buys. STS: the story verdict's test F1 (bench/dedup_quality.py).
Cost: event assignment (find + add) per new story at a window of 100k real headlines (UCI and
STS headlines, each a story of its own, spread over the 72 h window), and the index's memory.

    flock /tmp/bench.lock python bench/events_quality.py
"""

from __future__ import annotations

import csv
import gc
import math
import os
import statistics
import sys
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dedup_quality import assign_stories, load, pairwise, sts

from monitor.dedup.config import DedupConfig
from monitor.dedup.headline import parse
from monitor.events import EventConfig, EventIndex, cluster
from monitor.events.semantic import UniversalSentenceEncoder, available
from monitor.match import compile_rules
from monitor.match.config import EntityConfig, RuleConfig

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
WINDOW = 72 * 3600.0
POLL = 50  # headlines a poll brings, for the semantic extra's batches

# Ordinary topic rules, as a new user writes them: people, companies, products, places.
RULES = {
    "snowden": "Snowden",
    "putin-ukraine": "Putin AND (Ukraine OR Crimea)",
    "malaysia-flight": '"Malaysia Airlines" OR MH370',
    "gm-recall": '(GM OR "General Motors") AND recall',
    "titanfall": 'Titanfall OR "Xbox One"',
    "bachelor": '"Juan Pablo" OR Bachelor',
    "fed": '"Federal Reserve" OR Fed OR Yellen',
    "apple": "Apple OR iPhone OR iOS",
    "google": "Google",
    "china-economy": "China AND (exports OR economy OR trade)",
}
ENTITIES = [EntityConfig(name="Vladimir Putin", aliases=["Putin"])]


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def uci_rows() -> list[list[str]]:
    path = next((DATA / "uci-news-2014-03").glob("*.csv"))
    with path.open(encoding="utf-8", newline="") as f:
        return sorted(list(csv.reader(f))[1:], key=lambda r: int(r[7]))


def assign_events(
    rows: list[list[str]],
    stories: list[int],
    config: EventConfig,
    embedder: UniversalSentenceEncoder | None = None,
) -> list[int]:
    """Each headline, in time order, joins its story's event, a similar event or a new one."""
    index = EventIndex(config, WINDOW, embedder)
    events: list[int] = []
    seen_story: set[int] = set()
    for i, (r, story) in enumerate(zip(rows, stories, strict=True)):
        if i % POLL == 0:  # the new stories of a poll are embedded in one batch
            block = zip(rows[i : i + POLL], stories[i : i + POLL], strict=True)
            index.embed_ahead(list({s: r[1] for r, s in block if s not in seen_story}.items()))
        at = int(r[7]) / 1000
        found = index.find(story, r[1], "", at)
        event = i if found.event_id is None else found.event_id
        index.add(event, story, r[1], "", at, new_story=story not in seen_story)
        seen_story.add(story)
        events.append(event)
    return events


def naive_tfidf(rows: list[list[str]], threshold: float = 0.1) -> list[int]:
    """Single pass, every open cluster scored: TF-IDF (online) cosine to the centroid."""
    df: dict[str, int] = defaultdict(int)
    clusters: list[tuple[dict[str, float], list[float]]] = []  # centroid, [last seen]
    out = []
    for n, r in enumerate(rows, 1):
        at = int(r[7]) / 1000
        words = parse(r[1]).words
        for w in set(words):
            df[w] += 1
        vec: dict[str, float] = defaultdict(float)
        for w in words:
            vec[w] += math.log((n + 1) / (df[w] + 1)) + 1
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vec = {w: v / norm for w, v in vec.items()}
        best, best_i = threshold, -1
        for i, (centroid, last) in enumerate(clusters):
            if at - last[0] > 12 * 3600:
                continue
            dot = sum(v * centroid.get(w, 0.0) for w, v in vec.items())
            if dot <= 0:
                continue
            c_norm = math.sqrt(sum(v * v for v in centroid.values()))
            if dot / c_norm >= best:
                best, best_i = dot / c_norm, i
        if best_i < 0:
            clusters.append((dict(vec), [at]))
            out.append(len(clusters) - 1)
        else:
            centroid, last = clusters[best_i]
            for w, v in vec.items():
                centroid[w] = centroid.get(w, 0.0) + v
            last[0] = at
            out.append(best_i)
    return out


def report(name: str, assignment: list[int], labels: list[str]) -> None:
    half = len(labels) // 2
    parts = []
    for part, sl in (("first half", slice(0, half)), ("second half", slice(half, None)),
                     ("whole", slice(None))):  # fmt: skip
        p, r, n = pairwise(assignment[sl], labels[sl])
        parts.append(f"{part}: P {p:.3f} R {r:.3f} F1 {f1(p, r):.3f} ({n} events)")
    print(f"  {name:<34} " + "; ".join(parts))


def alerts(
    rows: list[list[str]], stories: list[int], events: list[int], name: str = "monitor"
) -> None:
    rules = [RuleConfig(name=n, query=q, channels=["desk"]) for n, q in RULES.items()]
    matcher = compile_rules(rules, ENTITIES)
    per_story: set[tuple[str, int]] = set()
    per_event: set[tuple[str, int]] = set()
    pairs: set[tuple[str, str]] = set()
    alerted_today: set[tuple[str, str]] = set()
    alerted_events: set[tuple[str, str]] = set()
    for r, story, event in zip(rows, stories, events, strict=True):
        for m in matcher.match(r[1], ""):
            pairs.add((m.rule, r[5]))
            if (m.rule, story) not in per_story:
                per_story.add((m.rule, story))
                alerted_today.add((m.rule, r[5]))
            if (m.rule, event) not in per_event:
                per_event.add((m.rule, event))
                alerted_events.add((m.rule, r[5]))
    lost = alerted_today - alerted_events
    if name == "monitor":
        print(f"Alerts: {len(RULES)} topic rules, {len(pairs)} (rule, labelled event) pairs matched")
        print(f"  today, per story:  {len(per_story)} new alerts, "
              f"{len(per_story) / len(pairs):.1f} a pair")  # fmt: skip
    print(f"  {name}, per event: {len(per_event)} new alerts, "
          f"{len(per_event) / len(pairs):.2f} a pair (goal <= 1.5); "
          f"pairs alerting today left without an alert: {len(lost)}")  # fmt: skip
    for rule, label in sorted(lost):
        print(f"    lost: {rule} / {label}")


def cost(rows: list[list[str]]) -> None:
    """find + add per new story at a 100k window of real headlines."""
    sts_titles = [
        t for pairs in ("train", "dev", "test") for _, a, b in load(pairs) for t in (a, b)
    ]
    titles = [r[1] for r in rows] + sts_titles
    size, start = 100_000, 1_700_000_000.0
    gc.collect()
    tracemalloc.start()
    index = EventIndex(EventConfig(), WINDOW)
    for i in range(size):
        at = start + WINDOW * i / size
        found = index.find(i, titles[i % len(titles)], "", at)
        index.add(i if found.event_id is None else found.event_id, i, titles[i % len(titles)],
                  "", at)  # fmt: skip
    memory = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    times, candidates = [], []
    at = start + WINDOW
    for j, r in enumerate(rows[:2000]):
        story = size + j
        t0 = time.perf_counter()
        found = index.find(story, r[1], "", at)
        index.add(size + j if found.event_id is None else found.event_id, story, r[1], "", at)
        times.append(time.perf_counter() - t0)
        candidates.append(index.last_candidates)
    times.sort()
    print(f"Cost at a window of {size:,} headlines ({len(index):,} events; real headlines of UCI "
          f"and STS, each a story of its own, over 72 h):")  # fmt: skip
    print(f"  find + add per new story: median {statistics.median(times) * 1e3:.3f} ms, "
          f"p99 {times[int(len(times) * 0.99)] * 1e3:.3f} ms (goal median <= 1 ms); "
          f"events scored: median {statistics.median(candidates):g}")  # fmt: skip
    print(f"  index memory (tracemalloc, after building it): {memory:.0f} MB")


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.2f}")
    rows = uci_rows()
    labels = [r[5] for r in rows]
    started = time.perf_counter()
    stories = assign_stories(rows, DedupConfig())
    stories_s = time.perf_counter() - started
    print(f"UCI: {len(rows)} headlines, {len(set(labels))} labelled events; "
          "defaults tuned on the first half")  # fmt: skip
    report("baseline: stories as events", stories, labels)
    started = time.perf_counter()
    naive = naive_tfidf(rows)
    naive_s = time.perf_counter() - started
    report(f"baseline: naive TF-IDF 0.1 ({naive_s:.1f}s)", naive, labels)
    started = time.perf_counter()
    events = assign_events(rows, stories, EventConfig())
    events_s = time.perf_counter() - started
    report(f"monitor events ({stories_s:.1f}s + {events_s:.1f}s)", events, labels)
    # The same without refusing a join on one shared topic word (TOPIC_EVENTS): what it buys.
    topic_events, cluster.TOPIC_EVENTS = cluster.TOPIC_EVENTS, sys.maxsize
    unchecked = assign_events(rows, stories, EventConfig())
    cluster.TOPIC_EVENTS = topic_events
    report("without the topic-word check", unchecked, labels)
    alerts(rows, stories, events)
    alerts(rows, stories, unchecked, "without the topic-word check")
    if available():
        embedder = UniversalSentenceEncoder()
        embedder(["warm up"])  # the model's tables load once, not in the figure
        started = time.perf_counter()
        semantic = assign_events(rows, stories, EventConfig(semantic=True), embedder)
        semantic_s = time.perf_counter() - started
        report(f"with the semantic extra ({semantic_s:.1f}s)", semantic, labels)
        print(f"  semantic extra: {semantic_s / len(set(stories)) * 1e3:.1f} ms a new story "
              "(embedded in batches of a poll, one thread)")  # fmt: skip
    else:
        print("  (semantic extra not installed: pip install 'monitor[semantic]')")
    sts()
    if "--quick" not in sys.argv:
        cost(rows)


if __name__ == "__main__":
    main()
