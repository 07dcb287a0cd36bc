"""A duration in the config file says its unit: ``retention = 30`` meant as days must not
silently be thirty seconds."""

from __future__ import annotations

import pytest

from monitor import config as config_module
from monitor.errors import ConfigError

CHANNEL = '[channels.desk]\ntype = "console"\n'

BARE = [
    ("[monitor]\ninterval = 10\n", "monitor.interval", "10"),
    ("[monitor]\nretention = 30\n", "monitor.retention", "30"),
    ("[dedup]\nwindow = 72\n", "dedup.window", "72"),
    ("[fetch]\ntimeout = 7.5\n", "fetch.timeout", "7.5"),
    (CHANNEL + "retry_max = 3600\n", "channels.desk.retry_max", "3600"),
    ('[[feeds]]\nurl = "https://a.example/rss"\ninterval = 300\n', "feeds[0]", "300"),
]


@pytest.mark.parametrize(("text", "where", "n"), BARE)
def test_a_bare_number_is_one_clear_line_naming_the_key(text: str, where: str, n: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config_module.loads(text)
    (problem,) = caught.value.problems
    assert problem.startswith(where)
    assert f'write durations as strings with a unit ("{n}s", "{n}m"' in problem
    assert f"not a bare {n}" in problem


WRITTEN = [
    ('[monitor]\ninterval = "10m"\n', lambda c: c.monitor.interval == 600),
    ('[dedup]\nwindow = "72h"\n', lambda c: c.dedup.window == 72 * 3600),
    # 0 is the same in every unit: "digest = 0" (each alert alone) reads as it is meant.
    (CHANNEL + "digest = 0\n", lambda c: c.channels["desk"].digest == 0),
    ("[monitor]\ngrace_period = 0\n", lambda c: c.monitor.grace_period == 0),
]


@pytest.mark.parametrize(("text", "check"), WRITTEN)
def test_durations_with_a_unit_and_a_bare_zero_are_accepted(text: str, check: object) -> None:
    assert check(config_module.loads(text))  # type: ignore[operator]


def test_retry_max_below_the_default_retry_initial_names_both_values() -> None:
    # Setting only retry_max = "15s" said "retry_max must be at least retry_initial", without
    # the 30 s default it was held against (explore9).
    with pytest.raises(ConfigError) as caught:
        config_module.loads(CHANNEL + 'retry_max = "15s"\n')
    (problem,) = caught.value.problems
    assert "retry_max (15s) must be at least retry_initial (30s, the default)" in problem
