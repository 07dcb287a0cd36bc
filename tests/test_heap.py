"""``monitor run`` leaves the cycle collector little to walk: what start-up built is frozen out
of its sight and young objects are collected less often. Opening an engine as a library
(tests, replay, the demo, ``monitor once``) leaves the interpreter as it found it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO

OPEN_ENGINE = """
    engine = await Engine.open(config)
    await engine.close()
    assert gc.get_freeze_count() == 0, gc.get_freeze_count()
    assert gc.get_threshold() == defaults, gc.get_threshold()
"""
RUN_DAEMON = """
    task = asyncio.create_task(run_daemon(config, None, settle_heap=True))
    deadline = time.monotonic() + 30
    while gc.get_freeze_count() == 0 and time.monotonic() < deadline and not task.done():
        await asyncio.sleep(0.05)
    frozen = gc.get_freeze_count()
    os.kill(os.getpid(), signal.SIGTERM)
    await task
    assert frozen > 10_000, frozen
    assert gc.get_threshold() == GC_THRESHOLDS, gc.get_threshold()
"""


@pytest.mark.parametrize(("case", "body"), [("library", OPEN_ENGINE), ("monitor run", RUN_DAEMON)])
def test_only_the_daemon_tunes_the_collector(tmp_path: Path, case: str, body: str) -> None:
    script = (
        textwrap.dedent(
            f"""
        import asyncio, gc, os, pathlib, signal, time
        from helpers import make_config
        from monitor.daemon import run_daemon
        from monitor.engine import Engine
        from monitor.interpreter import GC_THRESHOLDS

        async def main():
            defaults = gc.get_threshold()
            config = make_config(pathlib.Path({str(tmp_path)!r}), [])
        """
        )
        + textwrap.indent(textwrap.dedent(body), "    ")
        + "\nasyncio.run(main())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO / "tests",
        env={"PYTHONPATH": f"{REPO}:{REPO / 'tests'}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr[-2000:]
