"""Start-up leaves the cycle collector little to walk: what opening the engine built is
frozen out of its sight, once per process, and young objects are collected less often."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import REPO


def test_opening_the_engine_settles_the_heap_once(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio, gc
        from helpers import make_config
        from monitor.engine import GC_THRESHOLDS, Engine

        async def main():
            before = gc.get_freeze_count()
            engine = await Engine.open(make_config(__import__("pathlib").Path({str(tmp_path)!r}), []))
            frozen = gc.get_freeze_count()
            await engine.close()
            again = await Engine.open(make_config(__import__("pathlib").Path({str(tmp_path)!r}), []))
            await again.close()
            assert before == 0 and frozen > 10_000, (before, frozen)
            assert gc.get_freeze_count() <= frozen  # the second open froze nothing more
            assert gc.get_threshold() == GC_THRESHOLDS
            # A full collection walks what was made since, not the whole start-up heap.
            assert len(gc.get_objects()) < frozen

        asyncio.run(main())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO / "tests",
        env={"PYTHONPATH": f"{REPO}:{REPO / 'tests'}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
