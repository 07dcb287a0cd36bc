"""Candidate generation alone, this tree's against another revision's, find by find.

The ingest bench's first cycle (bench/realfeeds.py: FEEDS feeds x 50 real headlines, in feed
order, each seen at its published time) goes through this tree's ``StoryIndex``; at every
find that draws candidates, REV's ``candidates`` (its candidates.py and postings.py, loaded
beside this tree's ``monitor``) and this tree's are called on the same window, in turn (which
goes first alternates), and their thread CPU is summed. Their answers must be the same list:
the count of finds where they differ is printed (the goal: 0). A change worth a microsecond
an item is lost in the whole-process figures of bench/ingest.py; here it is not (against
its own revision, HEAD, two runs gave 0.999x and 1.001x).

    flock /tmp/bench.lock python bench/candidates_ab.py --baseline 4fba3d1 [--feeds 300]
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from realfeeds import real_headlines  # bench/ is on the path when run as a script

from monitor.dedup import candidates as this_tree
from monitor.dedup import index as index_module
from monitor.dedup.config import DedupConfig
from monitor.dedup.index import StoryIndex

POSTINGS_IMPORT = "from monitor.dedup import postings as posting_ops"


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def baseline_candidates(rev: str, folder: Path) -> ModuleType:
    """REV's candidates module, on REV's postings module (the rest is this tree's)."""
    here = Path(__file__).resolve().parents[1]
    for name in ("candidates", "postings"):
        text = subprocess.run(["git", "-C", str(here), "show", f"{rev}:monitor/dedup/{name}.py"],
                              check=True, capture_output=True, text=True).stdout  # fmt: skip
        if name == "candidates":
            if POSTINGS_IMPORT not in text:
                raise SystemExit(
                    f"bench: {rev}'s candidates.py does not import postings as expected"
                )
            text = text.replace(POSTINGS_IMPORT, "import baseline_postings as posting_ops")
        (folder / f"baseline_{name}.py").write_text(text)
    _missing(rev, (folder / "baseline_candidates.py").read_text())
    _load("baseline_postings", folder / "baseline_postings.py")
    return _load("baseline_candidates", folder / "baseline_candidates.py")


def _missing(rev: str, text: str) -> None:
    """A clear stop where REV's candidates.py calls on the window what this tree's no longer
    has (its few-candidates path before 02aca0f: ``can_join_each``, ``length_of_each``)."""
    window = StoryIndex(DedupConfig()).window
    for owner, name in re.findall(r"\bwindow\.(headlines\.)?(\w+)\(", text):
        if not hasattr(window.headlines if owner else window, name):
            where = "Headlines" if owner else "Window"
            raise SystemExit(
                f"bench: {rev}'s candidates.py calls {where}.{name}, which this tree no longer"
                " has: compare with a later revision"
            )


def run(feeds: int, rev: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        theirs = baseline_candidates(rev, Path(tmp)).candidates
    ours = this_tree.candidates
    cpu: dict[str, float] = defaultdict(float)
    finds = differ = 0

    def both(*args: object) -> list[int]:
        nonlocal finds, differ
        _ = args[0].headlines.postings  # type: ignore[attr-defined]  # posted off the clock
        got = {}
        for name, f in (("rev", theirs), ("this", ours))[:: 1 if finds % 2 else -1]:
            started = time.thread_time()
            got[name] = f(*args)
            cpu[name] += time.thread_time() - started
        finds += 1
        differ += got["rev"] != got["this"]
        return got["this"]

    index_module.candidates = both  # type: ignore[assignment]
    pool = real_headlines()
    index = StoryIndex(DedupConfig())
    items = 0
    for i in range(feeds):
        for j in range(50):
            h = pool[(i * 50 + j) % len(pool)]
            url, seen = f"https://{h.host}/news/{i}/{j}", h.published.timestamp()
            found = index.find(h.title, h.summary, seen, url, url)
            story = items if found.story_id is None else found.story_id
            index.add(story, items, h.title, h.summary, seen, url, url)
            items += 1
    print(f"candidates, {feeds} feeds x 50 real headlines: {finds:,} finds drew candidates; "
          f"{differ} answered otherwise than by {rev}; thread CPU per new item: {rev} "
          f"{cpu['rev'] / items * 1e6:.2f} us, this tree {cpu['this'] / items * 1e6:.2f} us "
          f"({cpu['this'] / cpu['rev']:.3f}x)")  # fmt: skip


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--feeds", type=int, default=300)
    ap.add_argument("--baseline", default="main", help="the git revision to compare with")
    a = ap.parse_args()
    run(a.feeds, a.baseline)
