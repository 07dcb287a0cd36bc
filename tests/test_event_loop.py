"""`monitor run` and `monitor once` poll on uvloop's event loop when it is installed, and on
asyncio's when it is not; neither sets an event-loop policy for the process (a library module
changes no interpreter-wide state: the command picks the loop for its own run)."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import pytest
from feedserver import FeedServer
from test_lazy_imports import example_config

pytest.importorskip("uvloop")

# Runs the command in a fresh interpreter and writes, as its pipeline starts, the class of the
# loop it runs on and the process's event-loop policy. ``block`` makes uvloop unimportable,
# as where it has no wheel.
RUNNER = """
import asyncio, json, sys
out, block = sys.argv.pop(1), sys.argv.pop(1) == "block"
if block:
    sys.modules["uvloop"] = None
import monitor.daemon, monitor.oneshot

def noting(original):
    async def run(*args, **kwargs):
        loop, policy = asyncio.get_running_loop(), asyncio.get_event_loop_policy()
        with open(out, "w") as f:
            # The library's loop class (monitor's own subclass only keeps lookups in the
            # default executor).
            kind = next(c for c in type(loop).__mro__ if not c.__module__.startswith("monitor"))
            json.dump([kind.__module__, type(policy).__module__], f)
        return await original(*args, **kwargs)
    return run

monitor.daemon.run_daemon = noting(monitor.daemon.run_daemon)
monitor.oneshot.run_once = noting(monitor.oneshot.run_once)
from monitor.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


async def run_command(command: str, config: Path, out: Path, *, block: bool) -> list[str]:
    """The command's run to its end (`run`: until a poll stored new items, then SIGTERM);
    the module of its loop's class and of the event-loop policy."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", RUNNER, str(out), "block" if block else "-", command,
        "-c", str(config), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    log: list[str] = []
    try:
        async with asyncio.timeout(90):
            if command == "run":
                while not any("new item" in line for line in log):
                    line = (await proc.stderr.readline()).decode()
                    assert line, "".join(log)
                    log.append(line)
                proc.send_signal(signal.SIGTERM)
            _, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
    log.append(err.decode())
    assert proc.returncode == 0, "".join(log)
    if command == "once":
        assert "new item" in log[-1], "".join(log)  # the poll went through the pipeline
    return noted(out)


def noted(out: Path) -> list[str]:
    return list(json.loads(out.read_text()))


@pytest.mark.parametrize("command", ["once", "run"])
@pytest.mark.parametrize(
    ("block", "loop"), [(False, "uvloop"), (True, "asyncio.unix_events")], ids=["uvloop", "absent"]
)
async def test_the_commands_poll_on_uvloop_where_installed_and_on_asyncio_without_it(
    feed_server: FeedServer, tmp_path: Path, command: str, block: bool, loop: str
) -> None:
    config = example_config(tmp_path, feed_server)
    loop_module, policy_module = await run_command(
        command, config, tmp_path / "loop.json", block=block
    )
    assert loop_module == loop
    assert policy_module == "asyncio.unix_events"  # asyncio's own: no policy was installed
    assert feed_server.requests


# The end of `monitor run` (monitor.cli.run) with a lookup still running in the default
# executor, and a second Ctrl-C while the runner waits for that executor to finish.
SECOND_CTRL_C = """
import asyncio, os, signal, sys, threading, time
from monitor import eventloop

async def main():
    asyncio.get_running_loop().run_in_executor(None, time.sleep, 0.5)

try:
    with asyncio.Runner(loop_factory=eventloop.new_event_loop) as runner:
        runner.run(main())
        threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGINT)).start()
except KeyboardInterrupt:
    print("interrupted", file=sys.stderr)
time.sleep(1)  # the executor's thread ends after the loop was closed
"""


async def test_a_second_ctrl_c_while_the_loop_closes_ends_it_without_a_traceback() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SECOND_CTRL_C, stderr=asyncio.subprocess.PIPE
    )
    _, err = await proc.communicate()
    # uvloop's own shutdown of the executor printed "Exception in thread ... RuntimeError:
    # Event loop is closed" here (a fresh-clone CI run's double-signal test caught it once).
    assert err.decode() == "interrupted\n"
    assert proc.returncode == 0
