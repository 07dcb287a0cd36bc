"""`monitor --version` answers without loading the commands: none of their modules, nor the
libraries they run (numpy, the HTTP client, the config's models), which `--help` needs for
the commands' help and `--version` does not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from monitor import __version__

# `python -m monitor ARGS`, writing at exit every module it imported.
RUNNER = """
import atexit, json, runpy, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
runpy.run_module("monitor", run_name="__main__", alter_sys=True)
"""


@pytest.mark.parametrize(
    "args", [["--version"], ["-c", "elsewhere.toml", "--version"]], ids=["plain", "with -c"]
)
def test_version_loads_no_command(tmp_path: Path, args: list[str]) -> None:
    out = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(out), *args],
        cwd=REPO, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == f"monitor {__version__}\n"
    modules = set(json.loads(out.read_text()))
    commands = {m for m in modules if m.startswith("monitor.cli.")}
    libraries = {m for m in modules if m.split(".")[0] in ("numpy", "aiohttp", "pydantic", "lxml")}
    assert sorted(commands | libraries) == []
