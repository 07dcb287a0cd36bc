"""APScheduler (which runs the housekeeping jobs) logs through our format, not its own."""

from __future__ import annotations

import json
import logging

import pytest

from monitor import log


@pytest.mark.parametrize("fmt", ["plain", "json"])
def test_apscheduler_warnings_come_out_in_our_format(
    fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    loggers = [logging.getLogger("apscheduler"), logging.getLogger("monitor")]
    saved = [(lg.handlers[:], lg.level, lg.propagate) for lg in loggers]
    try:
        log.setup(fmt)
        logging.getLogger("apscheduler.executors.default").warning(
            'Run time of job "health" was missed by 0:00:03'
        )
        logging.getLogger("apscheduler.scheduler").info("Added job (chatter, not shown)")
    finally:
        for lg, (handlers, level, propagate) in zip(loggers, saved, strict=True):
            lg.handlers[:], lg.level, lg.propagate = handlers, level, propagate
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    if fmt == "json":
        record = json.loads(lines[0])
        assert record["level"] == "warning" and record["stage"] == "apscheduler.executors.default"
    else:
        assert " WARNING apscheduler.executors.default: Run time of job" in lines[0]
