"""Where monitor's CPU goes in the ingest bench's first cycle, function by function: a
sampling profile (py-spy) of the process bench/ingest.py measures, on the same feeds (real
headlines and summaries, the same rules), summed up by thread.

For each thread: its share of the samples and its CPU per new item, then the functions with
the most samples of their own ("self", line numbers merged) and with the most samples under
them ("total"), each as a share of that thread and in us per new item. With ``--baseline
REV``, commit REV's ``monitor`` is profiled in the same run, the two runs interleaved, and
each function's figure is printed beside it: the profile before and after a change.

py-spy samples the process from outside (no tracing hook in it, so no overhead in the
figures, unlike cProfile). It needs ``pip install py-spy`` (in the ``bench`` extra) and the
right to ptrace (root, or ptrace_scope 0). The event loop's timers of bench/contenders.py
(the story/events/rules shares) are off here: they would show as functions of their own.

    flock /tmp/bench.lock python bench/profile.py [--feeds 300] [--baseline REV] [--top 30]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import ingest  # bench/ is on the path when run as a script

BENCH = Path(__file__).resolve().parent

RATE = 250  # samples a second
FRAME = re.compile(r" \((?:[^)]*/)?([^/):]*)(?::\d+)?\)")  # "f (path/file.py:12)" -> "f (file.py)"
THREADS = {"MainThread": "event loop", "monitor-parse": "parse thread",
           "_connection_worker": "database thread"}  # fmt: skip


class Profile:
    """One py-spy run's samples, by thread role and function, and the thread CPU that
    bench/contenders.py measured over the cycle in the same process (so that a share of a
    thread's samples becomes CPU per new item)."""

    def __init__(self, raw: Path, items: int, cpu: dict[str, float]) -> None:
        self.items = items
        self.cpu = cpu  # seconds of thread CPU in the cycle, by role
        self.samples: Counter[str] = Counter()  # by thread role
        self.own: dict[str, Counter[str]] = {}
        self.under: dict[str, Counter[str]] = {}
        lines = [line.rpartition(" ") for line in raw.read_text().splitlines()]
        named = {}  # py-spy names a thread on some of its lines only: "thread (12): Name"
        for stack, _, _ in lines:
            tid, _, name = stack.split(";")[0].partition(": ")
            if name:
                named[tid] = name
        for stack, _, count in lines:
            frames = stack.split(";")
            thread = named.get(frames[0].partition(": ")[0], "")
            role = next((r for key, r in THREADS.items() if key in thread), "other")
            names = [FRAME.sub(r" (\1)", f) for f in frames[1:]]
            if role == "event loop" and not any(n.startswith("Runner.run ") for n in names):
                role = "start and exit"  # imports, config: outside the cycle's thread CPU
            n = int(count)
            self.samples[role] += n
            if names:
                self.own.setdefault(role, Counter())[names[-1]] += n
            under = self.under.setdefault(role, Counter())
            for name in set(names):
                under[name] += n

    def us(self, role: str, samples: int) -> float:
        """A share of ``role``'s samples as CPU us per new item: that share of the thread's
        CPU in the cycle. Roles without a measured CPU: 1/RATE s a sample."""
        if role in self.cpu and self.samples[role]:
            return samples / self.samples[role] * self.cpu[role] / self.items * 1e6
        return samples / RATE / self.items * 1e6


def record(tree: Path, urls: list[str], rules: list[str], out: Path) -> dict[str, Any]:
    """py-spy's raw samples of ``tree``'s monitor in its first cycle over ``urls``, written
    to ``out``; what bench/contenders.py measured (new items, thread CPU by role)."""
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        url_file = state / "urls.txt"
        url_file.write_text("\n".join(urls))
        (state / "config.toml").write_text(ingest.monitor_config(state, urls, rules))
        env = {**os.environ, "BENCH_MONITOR_TREE": str(tree), "BENCH_NO_TIMERS": "1"}
        runner = [sys.executable, str(BENCH / "contenders.py"), "monitor", "first", tmp,
                  str(url_file)]  # fmt: skip
        command = ["py-spy", "record", "--threads", "--gil", "-r", str(RATE), "-f",
                   "raw", "-o", str(out), "--", *runner]  # fmt: skip
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0 or not out.exists():
            raise SystemExit(f"bench: py-spy failed ({done.returncode}): {done.stderr[-500:]}")
        last = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
        if not last:
            raise SystemExit(f"bench: monitor printed no result: {done.stderr[-800:]}")
        return dict(json.loads(last[-1]))


def report(names: list[str], profiles: dict[str, Profile], top: int) -> None:
    first = profiles[names[0]]
    for role, _ in first.samples.most_common():
        cells = []
        for name in names:
            p = profiles[name]
            cells.append(f"{name} {p.us(role, p.samples[role]):.0f} us/item")
        print(f"\n## {role}: " + ", ".join(cells))
        for kind, table in (("self", first.own), ("total", first.under)):
            print(f"  {kind}: us per new item" + "".join(f" | {n}" for n in names))
            for func, n in table.get(role, Counter()).most_common(top):
                row = [f"{first.us(role, n):7.1f}"]
                for name in names[1:]:
                    other = getattr(profiles[name], "own" if kind == "self" else "under")
                    row.append(f"{profiles[name].us(role, other.get(role, Counter())[func]):7.1f}")
                print("  " + " ".join(row) + f"  {func}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--feeds", type=int, default=300)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=1, help="runs of each, interleaved (summed)")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--baseline", metavar="REV", help="also profile monitor as of REV")
    ap.add_argument("--keep", metavar="DIR", help="keep py-spy's raw samples in DIR")
    args = ap.parse_args()
    if shutil.which("py-spy") is None:
        raise SystemExit("bench: py-spy is not installed (pip install py-spy)")
    trees = {"this tree": BENCH.parent}
    if args.baseline:
        base = Path(tempfile.mkdtemp(prefix="profile-baseline-")) / "tree"
        subprocess.run(["git", "-C", str(BENCH.parent), "worktree", "add", "--detach", str(base),
                        args.baseline], check=True, capture_output=True)  # fmt: skip
        trees[args.baseline] = base
    for tree in trees.values():  # bytecode compiled beforehand, as bench/ingest.py does
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "monitor")],
                       check=True, capture_output=True)  # fmt: skip
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(
        target=ingest.serve, args=(child, "real", args.feeds, args.items), daemon=True
    )
    server.start()
    port = ingest.receive(parent, server, "the feed server")
    urls = [f"http://127.0.0.1:{port}/f/{i}" for i in range(args.feeds)]
    rules = ingest.tracking_rules(ingest.common_words("real", args.feeds, args.items))
    keep = Path(args.keep or tempfile.mkdtemp(prefix="profile-"))
    keep.mkdir(parents=True, exist_ok=True)
    raws: dict[str, list[tuple[Path, dict[str, Any]]]] = {name: [] for name in trees}
    names = list(trees)
    try:
        for r in range(args.rounds):
            for name in names if r % 2 == 0 else names[::-1]:
                out = keep / f"{name.replace(' ', '-')}-{r}.txt"
                raws[name].append((out, record(trees[name], urls, rules, out)))
                print(f"  round {r + 1}: {name} done", file=sys.stderr)
    finally:
        server.terminate()
        for name, tree in trees.items():
            if name != "this tree":
                subprocess.run(["git", "-C", str(BENCH.parent), "worktree", "remove", "--force",
                                str(tree)], check=False, capture_output=True)  # fmt: skip
                shutil.rmtree(tree.parent, ignore_errors=True)
    profiles = {}
    for name, runs in raws.items():
        merged = keep / f"{name.replace(' ', '-')}-all.txt"
        merged.write_text("".join(path.read_text() for path, _ in runs))
        cpu: Counter[str] = Counter()
        for _, out in runs:
            cpu.update(out["threads"])
        profiles[name] = Profile(merged, sum(out["items"] for _, out in runs), dict(cpu))
    print(f"first cycle of {args.feeds} feeds x {args.items} items (real headlines), "
          f"{args.rounds} run(s) each, py-spy at {RATE} Hz; raw samples in {keep}")  # fmt: skip
    report(names, profiles, args.top)


if __name__ == "__main__":
    main()
