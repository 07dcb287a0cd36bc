"""When a feed is due again: its cadence kept from the poll's start, never due again at once
after a poll that waited its turn, Retry-After counted from the answer."""

from __future__ import annotations

import pytest

from monitor.schedule import Timing, next_check

T = Timing(interval=600.0, min_interval=60.0, max_backoff=3600.0, jitter=0.0)
START = 1_000_000.0


@pytest.mark.parametrize(
    ("what", "took", "hints", "due_after_start"),
    [
        ("a quick poll keeps the cadence", 2.0, {}, 600.0),
        ("a poll that waited 15 minutes: min_interval after it ended", 900.0, {}, 960.0),
        ("a poll that took 9.5 minutes: still min_interval after it ended", 570.0, {}, 630.0),
        ("Retry-After from the answer, at its end", 100.0, {"retry_after": 1200.0}, 1300.0),
        ("Retry-After capped at max_backoff", 0.0, {"retry_after": 10 * 86400.0}, 3600.0),
        ("a TTL longer than the interval", 1.0, {"ttl": 1800.0}, 1800.0),
        ("the third error in a row backs off", 1.0, {"error_streak": 3}, 2400.0),
    ],
)
def test_next_check(
    what: str, took: float, hints: dict[str, float], due_after_start: float
) -> None:
    due = next_check(T, START, START + took, **hints)  # type: ignore[arg-type]
    assert due - START == pytest.approx(due_after_start), what
