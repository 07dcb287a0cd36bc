"""A newcomer's first run: `monitor demo` works offline and prints alerts and stories."""

from __future__ import annotations

import subprocess
import sys


def test_demo_prints_alerts_and_one_story_from_five_outlets() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "demo", "--step-seconds", "0"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert out.count("● NEW STORY") >= 2
    assert "Mayor Elena Márquez calls emergency summit over rail strike" in out
    assert "also reported by: Coastal Herald" in out  # the story grows in place
    assert (
        "items from 5 outlets: Harbour Wire, Coastal Herald, Metro Daily, "
        "Northern Broadcaster, Valley Times" in out
    )
    assert "0 failed" in out and "pending" not in out.splitlines()[-1]
    # The summary counts what was printed: each new story and each time an event grew.
    new, grew = out.count("● NEW STORY"), out.count("↻ EVENT GROWS")
    assert grew >= 1
    assert f"alerts: {new + grew} sent ({new} alerts, {grew} updates)" in out, out
