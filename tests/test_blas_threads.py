"""A `monitor` command runs no thread of numpy's OpenBLAS: loaded with numpy, it would start
one for each core (seen in `ps -L`, and as CPU at every start) for matrix products monitor
does not make. A user who sets OPENBLAS_NUM_THREADS gets what they set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Runs the command in a fresh interpreter and writes, at exit, how many threads it has and
# whether it loaded numpy (without it, there was nothing to see).
RUNNER = """
import atexit, os, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(
    f"{len(os.listdir('/proc/self/task'))} {'numpy' in sys.modules}"))
from monitor.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs /proc (Linux)")
# OpenBLAS counts the cores this process may run on (a container's cpuset, taskset).
@pytest.mark.skipif(
    len(os.sched_getaffinity(0)) < 2, reason="OpenBLAS starts no thread on one core"
)
@pytest.mark.parametrize(("users_setting", "threads"), [(None, 1), ("2", 2)])
def test_a_command_runs_no_blas_threads_unless_asked(
    tmp_path: Path, users_setting: str | None, threads: int
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[[feeds]]\nurl = "https://example.org/feed.xml"\n', encoding="utf-8")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS")
    }
    if users_setting is not None:
        env["OPENBLAS_NUM_THREADS"] = users_setting
    out = tmp_path / "threads"
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(out), "check-config", "-c", str(config)],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.read_text() == f"{threads} True"
