"""``monitor demo``: the whole pipeline on sample feeds the project ships, with no network.

Five fictional outlets (``monitor/demo/feeds/``, written for the project) carry one story
under edited headlines, and other news. The demo writes a config to a temporary folder,
serves the feeds from a local server in time order, and runs fetch to alert on them:
alerts print on the console as they are delivered, the stories at the end.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import TextIO

from monitor import config as config_module
from monitor.replay.runner import ReplaySummary, run_replay
from monitor.replay.sources import records_from_directory
from monitor.store import Store
from monitor.store.stories import list_stories

DEMO_CONFIG = """\
# Written by `monitor demo`: a config of the shape you would write yourself.
[monitor]
database = "demo.db"

[dedup]
window = "72h"

[[entities]]
name = "Elena Márquez"
aliases = ["Elena Marquez", "Mayor Márquez", "Mayor Marquez"]

[[rules]]
name = "rail-strike-talks"
query = '@"Elena Márquez" AND (summit OR talks OR negotiat*)'
channels = ["screen"]
severity = "high"

[[rules]]
name = "storm-warnings"
query = 'title:storm AND warning'
channels = ["screen"]

[channels.screen]
type = "console"
update_delay = "0s"              # print "also reported by" as soon as a story grows
"""
STEP = 900.0  # a quarter of an hour of news per step


def feeds_dir() -> Path:
    return Path(str(resources.files("monitor.demo") / "feeds"))


async def run_demo(*, step_seconds: float = 0.4, out: TextIO = sys.stdout) -> ReplaySummary:
    with tempfile.TemporaryDirectory(prefix="monitor-demo-") as tmp:
        path = Path(tmp) / "config.toml"
        path.write_text(DEMO_CONFIG, encoding="utf-8")
        path.chmod(0o600)
        config = config_module.load(path)
        records = records_from_directory(feeds_dir())
        print(
            f"monitor demo: {len(records)} headlines from {len({r.feed for r in records})} "
            f"sample outlets, served from 127.0.0.1; config in {path}\n",
            file=out,
        )
        database = config.database_path
        summary = await run_replay(
            config,
            records,
            speed=STEP / step_seconds if step_seconds > 0 else 0.0,
            step=STEP,
            database=database,
            progress=False,
        )
        store = await Store.open(database)
        try:
            stories = await list_stories(store.db, None)
        finally:
            await store.close()
    print("\nStories:", file=out)
    for story in stories:
        items = story.get("items", [])
        outlets = list(dict.fromkeys(i["source"] or i["feed"] for i in items))
        print(f"  * {story['title']}", file=out)
        if len(outlets) > 1:
            print(
                f"      {len(items)} items from {len(outlets)} outlets: {', '.join(outlets)}",
                file=out,
            )
    print("", file=out)
    for line in summary.lines():
        print(line, file=out)
    return summary


def main(step_seconds: float = 0.4) -> int:
    summary = asyncio.run(run_demo(step_seconds=step_seconds))
    return 0 if summary.polls and not summary.failed_polls else 1
