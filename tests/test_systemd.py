"""The systemd unit is accepted by systemd-analyze verify (where systemd is installed)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parents[1] / "systemd" / "monitor.service"


def test_unit_has_the_expected_settings() -> None:
    text = UNIT.read_text()
    for line in (
        "Type=notify",
        "WatchdogSec=",
        "Restart=on-failure",
        "DynamicUser=yes",
        "StateDirectory=monitor",
        "EnvironmentFile=",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "NoNewPrivileges=yes",
        "RestrictAddressFamilies=",
        "SystemCallFilter=@system-service",
    ):
        assert line in text, line
    # Every setting is explained by the comment above it.
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.startswith("#") and i > 0:
            above = [x for x in lines[max(0, i - 6) : i] if x.strip()]
            assert any(x.startswith("#") for x in above), f"no comment near: {line}"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd is not installed")
def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    monitor = shutil.which("monitor") or str(Path(sys.executable).parent / "monitor")
    if not Path(monitor).exists():
        pytest.skip("the monitor console script is not installed")
    unit = tmp_path / "monitor.service"
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/monitor", monitor))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    problems = [
        line for line in (result.stdout + result.stderr).splitlines() if "monitor.service" in line
    ]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr
