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


def _values(text: str, key: str) -> list[str]:
    return [
        value
        for line in text.splitlines()
        if line.startswith(f"{key}=")
        for value in line.split("=", 1)[1].split()
    ]


def test_a_bad_config_is_not_restarted_every_five_seconds(tmp_path: Path) -> None:
    """Restart=on-failure with StartLimitIntervalSec=0 restarted a unit with a config typo
    every 5 s forever: the exit code ``monitor run`` gives a bad config prevents the restart,
    and the config check before it cannot fail the start (systemd applies
    RestartPreventExitStatus= to the main process only)."""
    text = UNIT.read_text()
    config = tmp_path / "config.toml"
    config.write_text('[monitor]\ndatabase = "m.db"\nintervall = "10m"\n')  # the typo
    for command in ("run", "check-config"):
        result = subprocess.run(
            [sys.executable, "-m", "monitor", "-c", str(config), command],
            capture_output=True, text=True, timeout=60, cwd=tmp_path,
        )  # fmt: skip
        assert "intervall" in result.stderr, result.stderr
        if command == "run":
            assert str(result.returncode) in _values(text, "RestartPreventExitStatus")
        else:
            assert result.returncode != 0
    pre = [line for line in text.splitlines() if line.startswith("ExecStartPre=")]
    assert all(line.startswith("ExecStartPre=-") for line in pre), pre
    assert not (tmp_path / "m.db").exists()  # nothing started
