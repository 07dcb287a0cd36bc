"""Ingest benchmark: monitor against the feed readers a user would pick instead, on the same
local feeds of real news, in the same run.

1,000 local RSS feeds x 50 items made of real headlines (bench/realfeeds.py: the UCI News
Aggregator headlines with their publishers, and the STS headlines; summaries of about 300
characters made of other headlines of the same story). Each contender runs in a process of its
own from a fresh state (bench/contenders.py): the first cycle (every item new), then the
second (every feed answers 304 to its conditional GET; process start included, as a cron job
or a timer pays it). Measured by wait4: the whole process's CPU, children included, and its
peak RSS; items/s is items stored over the first cycle's wall time. Rounds are interleaved
(the order rotates) and the median is printed: this machine's speed drifts over minutes.

The peers: reader (feedparser + SQLite), rss2email (feedparser, --no-send) and newsboat (C++).
They are bench-only (``pip install 'monitor[peers]'``; newsboat from Debian); a missing one is
skipped with the line that installs it. monitor runs with rules as a user's does (the example
config's entities and seed rule and 40 topic rules over the headlines' commonest words), so it
pays for matching and the outbox too; its first cycle is also split by thread, with story
matching's share (StoryIndex.find/add, timed in thread CPU around each call), event
assignment's (EventIndex.find/add, likewise) and rule matching's (Matcher.match, likewise);
the event loop's CPU outside those three is printed too, with the part of it that is dedup's
and events' own work all the same (FeedTitles.read_ahead, EventIndex.read_ahead and .title,
timed likewise) apart from the rest (fetch, handoffs, trips, the stages' glue).

Parse cost per item on the same bodies, in a child process: parse_feed (the lxml fast path,
feedparser for what it refuses), feedparser as the pipeline runs it (parse_with_feedparser)
and feedparser as shipped (its default options).

The changed cycle (``--changed K``, 2 by default; 0: none): what a running daemon pays all
day, where most polls that bring a body bring a feed whose items are nearly all known. After
the first cycle every feed is served ``K`` items later (the next ``K`` headlines of the pool,
as the first cycle's feeds are made, added; its ``K`` oldest dropped; a new ETag), and each
contender polls every feed from its state after the first cycle: monitor in the process of
its first cycle, as a daemon does (that cycle's CPU, all threads, taken out of the first
cycle's figures), a peer in a run of its own as cron starts it (process start included).
Printed as CPU per feed and per new item, and monitor's by thread.

``--synthetic``: headlines made from the STS words with Zipfian frequencies and made-up names
(bench/dedup_speed.py's generator), the old figure, cheap for story matching; ``--lookalike``:
eight of the same 38 words in every headline, the worst case for story matching.

    python bench/ingest.py [--feeds 1000] [--items 50] [--rounds 3] [--peers reader,...]
                           [--changed K] [--synthetic | --lookalike] [--baseline REV]

``--baseline REV``: monitor as of a git revision too (``main``), in the same interleaved rounds,
with its own rows and lines: a change's before and after under the same load. Its noise, from
A/A runs (``--baseline HEAD``, the same code; 17 runs at 300 and 1,000 feeds, load 1-6 on 2
cores): the first cycle's ratio read 0.91-1.07x at ``--rounds 2`` and 0.97-1.06x at 4-6
rounds; over all 72 rounds' pairs 1.006x (95% interval +-1.8%), one pair's spread 8%, the same
with the order swapped or both trees fresh checkouts under /tmp. So there is no bias to
correct, and a ratio within 9% of 1.00 from 2 rounds (6% from 4-6) is noise, not a change.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import multiprocessing
import os
import random
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from contenders import vm_hwm_kb

PEERS = ("reader", "rss2email", "newsboat")

WORDS = [
    "minister",
    "summit",
    "talks",
    "border",
    "election",
    "court",
    "ruling",
    "strike",
    "market",
    "rally",
    "storm",
    "flood",
    "energy",
    "deal",
    "sanctions",
    "trade",
    "union",
    "police",
    "protest",
    "hospital",
    "vaccine",
    "climate",
    "report",
    "bank",
    "rates",
    "inflation",
    "budget",
    "parliament",
    "vote",
    "coalition",
    "ceasefire",
    "army",
    "port",
    "airline",
    "outage",
]


def headlines(feeds: int, items: int, lookalike: bool) -> list[str]:
    """One headline per item, feed after feed."""
    if lookalike:
        return [
            " ".join(WORDS[(i * 7 + j * k) % len(WORDS)] for k in range(1, 9)).capitalize()
            + f" {i}-{j}"
            for i in range(feeds)
            for j in range(items)
        ]
    from dedup_speed import make_headlines  # bench/ is on the path when run as a script

    return make_headlines(feeds * items, random.Random(1))[0]


def synthetic_body(i: int, items: int, titles: list[str], start: int = 0) -> bytes:
    entries = []
    for j in range(start, start + items):
        title = html.escape(titles[(i * items + j) % len(titles)])
        w = title.split()[:8]
        entries.append(
            f"<item><title>{title}</title><link>https://news{i % 97}.example/{i}/{j}?utm_source=rss</link>"
            f"<guid>https://news{i % 97}.example/{i}/{j}</guid><description>&lt;p&gt;{title}. "
            f"{' '.join(w * 3)}&lt;/p&gt;</description>"
            f"<pubDate>Wed, 05 Nov 2025 {j % 24:02d}:{i % 60:02d}:00 GMT</pubDate></item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Feed {i}</title>'
        f"<link>https://news{i}.example/</link>{''.join(entries)}</channel></rss>"
    ).encode()


def bodies(mode: str, feeds: int, items: int, start: int = 0) -> list[bytes]:
    """Every feed's body, made the same way in every process that needs them; ``start``: each
    feed ``start`` items later (as many new ones, the oldest dropped: the changed cycle)."""
    if mode == "real":
        from realfeeds import feed_body, real_headlines

        pool = real_headlines()
        return [feed_body(i, items, pool, start) for i in range(feeds)]
    titles = headlines(feeds, items, mode == "lookalike")
    return [synthetic_body(i, items, titles, start) for i in range(feeds)]


def serve(port_pipe: Any, mode: str, feeds: int, items: int, changed: int = 0) -> None:
    """The feeds, as they are at first (version 0) or ``changed`` items later (version 1:
    every feed changed, with a new ETag); ``GET /version/N`` switches every feed."""
    from aiohttp import web

    served = [bodies(mode, feeds, items)]
    if changed:
        served.append(bodies(mode, feeds, items, changed))
    etags = [['"' + hashlib.md5(b).hexdigest() + '"' for b in version] for version in served]
    current = [0]

    answered = Counter[str]()

    async def handler(request: web.Request) -> web.Response:
        i = int(request.match_info["i"])
        body, etag = served[current[0]][i], etags[current[0]][i]
        if request.headers.get("If-None-Match") == etag:
            answered["304"] += 1
            return web.Response(status=304, headers={"ETag": etag})
        answered["200"] += 1
        return web.Response(body=body, content_type="application/rss+xml", headers={"ETag": etag})

    app = web.Application()

    async def counts(request: web.Request) -> web.Response:
        return web.json_response(answered)  # what each contender really asked for

    async def version(request: web.Request) -> web.Response:
        current[0] = int(request.match_info["v"])
        return web.json_response(current[0])

    app.router.add_get("/f/{i}", handler)
    app.router.add_get("/answered", counts)
    app.router.add_get("/version/{v}", version)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port_pipe.send(sock.getsockname()[1])
    web.run_app(app, sock=sock, print=None, handle_signals=True)


def common_words(mode: str, feeds: int, items: int) -> list[str]:
    """The 100 commonest words of the feeds' headlines (of four letters or more)."""
    if mode != "real":
        from dedup_speed import vocabulary  # the headlines' words, commonest first (same seed)

        return [w.lower() for w in vocabulary(random.Random(1))[:100]]
    from realfeeds import real_headlines

    counts = Counter(w for h in real_headlines() for w in re.findall(r"[a-z]{4,}", h.title.lower()))
    return [w for w, _ in counts.most_common(100)]


def tracking_rules(common: list[str]) -> list[str]:
    """What a user tracks: the example config's entities and seed rule, and 40 topic rules of
    the usual shape over the headlines' commonest words. Alerts go to a console channel and
    are queued in the outbox (no delivery is started: bench/alerts.py measures that)."""
    example = tomllib.loads((BENCH.parent / "config.example.toml").read_text())
    lines = ["[channels.screen]", 'type = "console"']
    for entity in example["entities"]:
        aliases = ", ".join(json.dumps(a, ensure_ascii=False) for a in entity["aliases"])
        lines += ["[[entities]]", f"name = {json.dumps(entity['name'])}", f"aliases = [{aliases}]"]
    for rule in example["rules"]:
        lines += ["[[rules]]", f"name = {json.dumps(rule['name'])}",
                  f"query = {json.dumps(rule['query'])}", 'channels = ["screen"]']  # fmt: skip
    rng = random.Random(3)
    for r in range(40):
        left, right = rng.sample(common, 3), rng.sample(common, 3)
        query = f"({' OR '.join(left)}) AND ({' OR '.join(right)})"
        lines += ["[[rules]]", f'name = "topic-{r}"', f'query = "{query}"', 'channels = ["screen"]']
    return lines


@contextmanager
def served(feeds: int, changed: int = 0) -> Iterator[int]:
    """The bench's feeds of real headlines (50 items each; ``changed``: as ``serve``),
    served by a process of its own while the block runs: its port."""
    parent, pipe = multiprocessing.Pipe()
    server = multiprocessing.Process(
        target=serve, args=(pipe, "real", feeds, 50, changed), daemon=True
    )
    server.start()
    try:
        yield receive(parent, server, "the feed server")
    finally:
        server.terminate()


def interleaved(names: list[str], rounds: int) -> Iterator[tuple[int, str]]:
    """Each of ``names`` once a round, with the round, the first of each round turning: the
    machine's drift hits every contender alike."""
    for n in range(rounds):
        for name in names[n % len(names) :] + names[: n % len(names)]:
            yield n, name


def receive(pipe: Any, proc: multiprocessing.process.BaseProcess, what: str) -> Any:
    """What a child process sends, or a clear exit when it died first (rather than a hang)."""
    while not pipe.poll(1.0):
        if not proc.is_alive():
            raise SystemExit(f"bench: {what} exited with code {proc.exitcode} before answering")
    return pipe.recv()


def parse_costs(mode: str, feeds: int, items: int, url: str, out: Any) -> None:
    """In a child process: CPU seconds per item of the three ways to parse the same bodies,
    body after body (so that drift hits all alike)."""
    from datetime import UTC, datetime

    import feedparser

    from monitor.parse import parse_feed, parse_with_feedparser
    from monitor.parse.fast import parse_fast

    headers = {"content-type": "application/rss+xml"}
    now = datetime.now(UTC)
    ways: dict[str, Callable[[bytes], Any]] = {
        "parse_feed (lxml fast path, feedparser behind it)": lambda b: parse_feed(
            b, headers, url=url, now=now
        ),
        "feedparser as the pipeline ran it (parse_with_feedparser)": lambda b: (
            parse_with_feedparser(b, headers, url=url, now=now)
        ),
        "feedparser.parse as shipped (no normalization)": lambda b: feedparser.parse(
            b, response_headers={**headers, "content-location": url}
        ),
    }
    spent = dict.fromkeys(ways, 0.0)
    count = fast = 0
    for body in bodies(mode, feeds, items):
        for name, way in ways.items():
            c = time.process_time()
            way(body)
            spent[name] += time.process_time() - c
        count += len(parse_feed(body, headers, url=url, now=now).entries)
        fast += parse_fast(body, headers, url, now) is not None
    out.send(({k: v / count * 1e6 for k, v in spent.items()}, fast))


def measure(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run one process; its whole CPU (children included, from wait4), wall time, peak RSS
    and output. The peak is the process's own VmHWM, sampled while it runs: wait4's maxrss
    would count this (larger) process's memory at the fork that started it."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        peak_kb = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak_kb = max(peak_kb, vm_hwm_kb(proc.pid))
            time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        output, errors = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"bench: {command[2:4]} failed ({proc.returncode}): {errors[-500:]}")
    lines = output.strip().splitlines()
    result = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {}
    cpu = usage.ru_utime + usage.ru_stime
    peak_kb = max(peak_kb, result.pop("vm_hwm_kb", 0))
    changed = result.get("changed")
    if changed:  # monitor's changed cycle ran in this process, after the first: not its part
        cpu -= changed["cycle_cpu"]
        wall -= changed["wall"]
        changed["rss_mb"] = peak_kb / 1024
        peak_kb = changed["first_hwm_kb"]
    return {"cpu": cpu, "wall": wall, "rss_mb": peak_kb / 1024, "out": result}


def answered(urls: list[str]) -> Counter[str]:
    import urllib.request

    with urllib.request.urlopen(f"{origin(urls)}/answered") as response:
        return Counter(json.loads(response.read()))


def origin(urls: list[str]) -> str:
    return urls[0].rsplit("/f/", 1)[0]


def serve_version(urls: list[str], version: int) -> None:
    """Every feed served as it is at first (0) or changed (1), from now on."""
    import urllib.request

    with urllib.request.urlopen(f"{origin(urls)}/version/{version}") as response:
        response.read()


def counted(urls: list[str], run: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """``run(*args)``, with the 200 and 304 answers the feed server gave meanwhile."""
    before = answered(urls)
    result = run(*args)
    result["answers"] = answered(urls) - before
    return result


def monitor_config(state: Path, urls: list[str], rules: list[str]) -> str:
    """monitor's config for the bench: its store in ``state``, these feeds and rules, and
    fetch limits that do not hold it back (every bench feed is on 127.0.0.1)."""
    lines = [
        "[monitor]",
        f'database = "{state}/bench.db"',
        "[fetch]",
        "concurrency = 50",
        "per_host = 50",
    ]  # fmt: skip
    for url in urls:
        lines += ["[[feeds]]", f'url = "{url}"']
    return "\n".join(lines + rules)


def one_round(
    name: str, urls: list[str], rules: list[str], trees: dict[str, Path], changed: int
) -> dict[str, Any]:
    """A contender from a fresh state: its first cycle; with ``changed``, the changed cycle
    (every feed ``changed`` items later); then a cycle where every feed answers 304.
    ``trees``: the checkout each monitor contender's ``monitor`` is imported from (this
    tree's bench/contenders.py runs them all, so that each has the changed cycle).

    The changed cycle is what a running daemon pays all day: monitor runs it in the process
    of its first cycle, after it (its memory of each feed's last body warm, as in a daemon);
    a peer, which runs from cron, in a process of its own, start included."""
    serve_version(urls, 0)
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        url_file = state / "urls.txt"
        url_file.write_text("\n".join(urls))
        runner = [sys.executable, str(BENCH / "contenders.py"), name.partition("@")[0]]
        env = None
        if name in trees:
            (state / "config.toml").write_text(monitor_config(state, urls, rules))
            env = {**os.environ, "BENCH_MONITOR_TREE": str(trees[name])}
            if changed:
                env["BENCH_CHANGE_URL"] = f"{origin(urls)}/version/1"
        else:
            measure([*runner, "setup", tmp, str(url_file)])
        if name == "newsboat":
            env = {"HOME": tmp, "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
            command = ["newsboat", "-u", f"{tmp}/urls", "-c", f"{tmp}/cache.db", "-C",
                       f"{tmp}/config", "-x", "reload"]  # fmt: skip
            first = counted(urls, measure, command, env)
            with sqlite3.connect(state / "cache.db") as db:
                first["out"] = {"items": db.execute("SELECT COUNT(*) FROM rss_item").fetchone()[0]}
            if changed:
                serve_version(urls, 1)
                first["changed"] = counted(urls, measure, command, env)
            second = counted(urls, measure, command, env)
        else:
            first = counted(urls, measure, [*runner, "first", tmp, str(url_file)], env)
            if changed and name not in trees:
                serve_version(urls, 1)
                first["changed"] = counted(urls, measure, [*runner, "second", tmp, str(url_file)])
            elif changed:  # run in the first cycle's process, which switched the server
                first["changed"] = {"cpu": first["out"]["changed"]["cycle_cpu"],
                                    "answers": first["answers"]}  # fmt: skip
            second = counted(urls, measure, [*runner, "second", tmp, str(url_file)], env)
    return {"first": first, "second": second}


def compiled(tree: Path) -> list[Path]:
    """The C extensions (mypyc's) a tree's monitor runs in place of its Python modules."""
    return sorted((tree / "monitor").rglob("*.so"))


def main(args: argparse.Namespace) -> None:
    mode = "lookalike" if args.lookalike else "synthetic" if args.synthetic else "real"
    peers = [p for p in args.peers.split(",") if p] if args.peers is not None else list(PEERS)
    from contenders import missing

    contenders = ["monitor"]
    trees = {"monitor": BENCH.parent}
    if args.baseline:
        base = Path(tempfile.mkdtemp(prefix="ingest-baseline-")) / "tree"
        subprocess.run(["git", "-C", str(BENCH.parent), "worktree", "add", "--detach", str(base),
                        args.baseline], check=True, capture_output=True)  # fmt: skip
        contenders.append(f"monitor@{args.baseline}")
        trees[contenders[-1]] = base
        if compiled(BENCH.parent) and (base / "setup.py").is_file():
            # Like for like: this tree runs its compiled modules, so the baseline runs its own
            # (the modules its setup.py compiles; none before they were compiled).
            subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"],
                           cwd=base, check=True, capture_output=True)  # fmt: skip
    for name, tree in trees.items():
        print(f"{name}: {len(compiled(tree))} compiled modules")
    for tree in trees.values():
        # Bytecode compiled beforehand, as `pip install` compiles a package's: where
        # PYTHONDONTWRITEBYTECODE is set, a source tree would otherwise compile every module
        # again in each process, which no installed monitor (and no installed peer) pays.
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "monitor")],
                       check=True, capture_output=True)  # fmt: skip
    for peer in peers:
        hint = missing(peer)
        if hint:
            print(f"skipped {peer}: not installed ({hint})")
        else:
            contenders.append(peer)
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(
        target=serve, args=(child, mode, args.feeds, args.items, args.changed), daemon=True
    )
    server.start()
    port = receive(parent, server, "the feed server")
    urls = [f"http://127.0.0.1:{port}/f/{i}" for i in range(args.feeds)]
    rules = tracking_rules(common_words(mode, args.feeds, args.items))

    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter, no copy of our heap
    parent, child = ctx.Pipe()
    proc = ctx.Process(
        target=parse_costs, args=(mode, min(args.feeds, 300), args.items, urls[0], child)
    )
    proc.start()
    per_item, fast_feeds = receive(parent, proc, "the parse measurement")
    proc.join()

    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in contenders}
    for r in range(args.rounds):
        for name in contenders[r % len(contenders) :] + contenders[: r % len(contenders)]:
            runs[name].append(one_round(name, urls, rules, trees, args.changed))
            print(f"  round {r + 1}: {name} done", file=sys.stderr)
    server.terminate()
    for name, tree in trees.items():
        if name != "monitor":
            subprocess.run(["git", "-C", str(BENCH.parent), "worktree", "remove", "--force",
                            str(tree)], check=False, capture_output=True)  # fmt: skip
            shutil.rmtree(tree.parent, ignore_errors=True)
    report(mode, args, contenders, runs, per_item, fast_feeds)


def median(values: list[float]) -> float:
    return statistics.median(values)


def monitor_lines(name: str, runs: list[dict[str, Any]], feeds: int, shipped: float) -> None:
    """A monitor contender's own figures: its second cycle without process start, its first
    by thread, and the whole process's cost per item against feedparser's on the same bodies."""
    in_cycle = median([run["second"]["out"]["cycle_cpu"] for run in runs])
    print(
        f"{name}, second cycle: {in_cycle / feeds * 1000:.2f} ms CPU per feed in the cycle"
        " itself (the rest of the row is process start, imports and opening the store)"
    )
    # What every run pays whatever it polls: the whole process less its cycle.
    fixed = {c: median([run[c]["cpu"] - run[c]["out"]["cycle_cpu"] for run in runs])
             for c in ("first", "second")}  # fmt: skip
    print(
        f"{name}, outside the cycle (interpreter, imports, config, store open and close):"
        f" {fixed['first'] * 1000:.0f} ms CPU in the first cycle's process,"
        f" {fixed['second'] * 1000:.0f} ms in the second's"
    )
    detail = [run["first"]["out"] for run in runs]
    items = median([d["items"] for d in detail])
    us = 1e6 / max(items, 1)
    first = median([run["first"]["cpu"] for run in runs])
    cycle = median([d["cycle_cpu"] for d in detail])
    print(
        f"{name}, first cycle: {first * us:.0f} us CPU per new item for the whole process"
        f" ({first * us / shipped:.2f}x feedparser.parse as shipped; {cycle * us:.0f} us in the"
        f" cycle itself; {median([d['stories'] for d in detail]):,.0f} stories;"
        f" errors: {detail[0]['errors']})"
    )
    roles = ("parse thread", "event loop", "database thread", "other")
    split = ", ".join(
        f"{role} {median([d['threads'].get(role, 0.0) for d in detail]) * us:.0f}" for role in roles
    )
    matching = median([d["story_matching"] for d in detail]) * us
    events = median([d["event_assignment"] for d in detail]) * us
    rules = median([d.get("rule_matching", 0.0) for d in detail]) * us
    ahead = median([d.get("read_ahead", 0.0) for d in detail]) * us
    print(
        f"  by thread, us per item: {split}; story matching (on the event loop) {matching:.0f},"
        f" event assignment (on the event loop) {events:.0f}, rule matching {rules:.0f}"
    )
    print(_loop_rest(detail, us, matching + events + rules, ahead))
    for cycle_name in ("first", "second"):  # the second starts by rebuilding the window
        done = [run[cycle_name]["out"] for run in runs]
        steps = done[0].get("memory", {})  # where the peak goes (an older revision says nothing)
        if steps:
            peak = median([run[cycle_name]["rss_mb"] for run in runs])
            print(
                f"  RSS, {cycle_name} cycle: peak {peak:.0f} MB; "
                + ", ".join(
                    f"{step} {median([d['memory'][step] for d in done]):.0f} MB" for step in steps
                )
            )


def changed_lines(name: str, runs: list[dict[str, Any]], added: int) -> None:
    """A monitor contender's changed cycle, in its running process: new items found, CPU per
    new item by thread."""
    detail = [run["first"]["out"]["changed"] for run in runs]
    found = median([d["items"] for d in detail])
    us = 1e6 / added
    roles = ("parse thread", "event loop", "database thread", "other")
    split = ", ".join(
        f"{role} {median([d['threads'].get(role, 0.0) for d in detail]) * us:.0f}" for role in roles
    )
    print(
        f"{name}, changed cycle: {median([d['cycle_cpu'] for d in detail]) * us:.0f} us CPU per"
        f" new item ({found:,.0f} new of {added:,} added; errors: {detail[0]['errors']}); by"
        f" thread: {split}; story matching {median([d['story_matching'] for d in detail]) * us:.0f},"
        f" event assignment {median([d['event_assignment'] for d in detail]) * us:.0f};"
        f" peak RSS after it {max(d['rss_mb'] for d in detail):.0f} MB"
    )
    if "read_ahead" in detail[0]:  # timed by this tree's bench/contenders.py
        shares = sum(
            median([d[k] for d in detail]) * us
            for k in ("story_matching", "event_assignment", "rule_matching")
        )
        ahead = median([d["read_ahead"] for d in detail]) * us
        print(_loop_rest(detail, us, shares, ahead))


def _loop_rest(detail: list[dict[str, Any]], us: float, shares: float, ahead: float) -> str:
    """The event loop's CPU per item outside the three shares: dedup's and events' work
    that they leave out (read ahead, event titles), and the rest (fetch, parse handoff,
    store trips, the stages' glue, scheduling, the shares' own timers)."""
    loop = median([d["threads"].get("event loop", 0.0) for d in detail]) * us
    return (
        f"  event loop outside the three shares: {loop - shares:.0f} us per item; of it labels,"
        f" read-ahead and event titles (dedup's and events' own) {ahead:.0f}, the rest"
        f" {loop - shares - ahead:.0f}"
    )


def report(
    mode: str,
    args: argparse.Namespace,
    contenders: list[str],
    runs: dict[str, list[dict[str, Any]]],
    per_item: dict[str, float],
    fast_feeds: int,
) -> None:
    print(
        f"feeds: {args.feeds} x {args.items} items ({mode} headlines), {args.rounds} interleaved"
        f" round(s), medians; whole-process CPU, children included"
    )
    changed = args.changed
    print(
        "| contender (same feeds, same run) | first cycle CPU (monitor / it) | items/s | peak RSS"
        " | all-304 cycle CPU per feed (incl. start) |"
        + (
            f" changed cycle ({changed} new items a feed) CPU per feed, per new item"
            " (monitor: in its running daemon; a peer: a run, incl. start) |"
            if changed
            else ""
        )
    )
    print("|---|---|---|---|---|" + ("---|" if changed else ""))
    mine = median([run["first"]["cpu"] for run in runs["monitor"]])
    if changed:
        mine_changed = median([run["first"]["changed"]["cpu"] for run in runs["monitor"]])
    answers_second: list[str] = []
    for name in contenders:
        first = median([run["first"]["cpu"] for run in runs[name]])
        items = median([run["first"]["out"].get("items", 0) for run in runs[name]])
        wall = median([run["first"]["wall"] for run in runs[name]])
        rss = max(max(run["first"]["rss_mb"], run["second"]["rss_mb"]) for run in runs[name])
        second = median([run["second"]["cpu"] for run in runs[name]])
        ratio = "" if name == "monitor" else f" ({mine / first:.2f}x)"
        asked = runs[name][-1]["second"]["answers"]
        answers_second.append(f"{name} {asked['304']} x 304, {asked['200']} x 200")
        column = ""
        if changed:
            cost = median([run["first"]["changed"]["cpu"] for run in runs[name]])
            column = (
                f" {cost / args.feeds * 1000:.2f} ms, {cost / (args.feeds * changed) * 1e6:.0f} us"
                + ("" if name == "monitor" else f" ({mine_changed / cost:.2f}x)")
                + " |"
            )
        print(
            f"| {name} | {first:.1f} s{ratio} | {items / wall:,.0f} ({items:,.0f} items) |"
            f" {rss:.0f} MB | {second / args.feeds * 1000:.2f} ms |{column}"
        )
    print("second cycle, what the server answered (last round): " + "; ".join(answers_second))
    shipped = next(cost for way, cost in per_item.items() if way.startswith("feedparser.parse"))
    for name in (c for c in contenders if c.startswith("monitor")):
        monitor_lines(name, runs[name], args.feeds, shipped)
        if changed:
            changed_lines(name, runs[name], args.feeds * changed)
    print(
        f"parse cost per item, same bodies ({fast_feeds} of {min(args.feeds, 300)} feeds took the fast path):"
    )
    for name, cost in per_item.items():
        print(f"  {name}: {cost:.1f} us")
    # Other jobs on the machine move every figure above: say how busy it was.
    print("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--changed", type=int, default=2, metavar="K",
                    help="the changed cycle: every feed K new items later (0: none)")  # fmt: skip
    ap.add_argument("--peers", help=f"comma-separated, of {', '.join(PEERS)} (default: all)")
    ap.add_argument("--baseline", metavar="REV", help="also run monitor as of this git revision"
                    " (checked out in a temporary worktree), in the same rounds")  # fmt: skip
    kind = ap.add_mutually_exclusive_group()
    kind.add_argument(
        "--synthetic", action="store_true", help="generated headlines (the old figure)"
    )
    kind.add_argument("--lookalike", action="store_true", help="the worst case for stories")
    main(ap.parse_args())
