"""The writer's lock file made by another user: root ran `sudo monitor test-alert` (or
`once`) beside a service that runs as its own user; the service must still start."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from monitor.store.lock import WriterLock

NOBODY = 65534
pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to act as two users",
)


def test_the_service_user_takes_a_lock_file_root_left_behind() -> None:
    home = Path(tempfile.mkdtemp(prefix="monitor-lock-", dir="/tmp"))
    try:
        os.chown(home, NOBODY, NOBODY)
        os.chmod(home, 0o755)
        config = home / "config.toml"
        config.write_text(f'[monitor]\ndatabase = "{home / "monitor.db"}"\n', encoding="utf-8")
        as_service = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                      sys.executable, "-m", "monitor", "once", "-c", str(config)]  # fmt: skip
        held = WriterLock.acquire(home / "monitor.db")  # root's command, running
        try:
            refused = subprocess.run(as_service, capture_output=True, text=True, timeout=120)
        finally:
            held.release()
        assert refused.returncode == 1
        assert f"in use by another monitor (pid {os.getpid()})" in refused.stderr
        result = subprocess.run(as_service, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
    finally:
        shutil.rmtree(home)
