"""The real command line in a process of its own, over a config that runs the whole pipeline
(local feeds, a rule, a Telegram stand-in and a webhook), for the end-to-end tests."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from standins import BOT_TOKEN, CHAT_ID

# The password a config takes from ${PGPW}: every command is given it, none may print it.
PASSWORD = "pg-s3cret-pw"
# The environment of a node started as in production: its cold start spreads the feeds' first
# polls over 3 s (tests/conftest.py turns the spread off for the rest of the suite).
SPREAD = {"MONITOR_START_SPREAD": ""}
HEADLINES = [
    "Mayor Elena Márquez calls emergency summit over rail strike",
    "Harbour City mayor Elena Márquez calls emergency summit on rail strike",
    "Rail strike: Mayor Elena Márquez calls summit with unions",
]


def pipeline_config(
    database: str,
    feeds: list[str],
    tg_url: str,
    hook_url: str,
    *,
    monitor: tuple[str, ...] = (),
    tables: str = "",
) -> str:
    """One rule to a Telegram stand-in and a webhook; ``monitor`` adds [monitor] lines and
    ``tables`` whole tables (e.g. [cluster])."""
    # The feed server's items are dated 2025: a window wide enough that the second run, which
    # rebuilds it from the store, still sees the first run's story.
    lines = ["[monitor]", 'max_age = "3650d"', f'database = "{database}"', "jitter = 0", 'retention = "3650d"']
    lines += monitor
    for url in feeds:
        lines += ["[[feeds]]", f'url = "{url}"']
    return (
        "\n".join(lines)
        + f"""
[dedup]
window = "3650d"

[[entities]]
name = "Elena Márquez"

[[rules]]
name = "rail"
query = '@"Elena Márquez" AND summit'
channels = ["desk", "hook"]

[channels.desk]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{tg_url}"
rate_limit = "off"
update_delay = "0s"

[channels.hook]
type = "webhook"
url = "{hook_url}"
{tables}"""
    )


async def monitor_cli(
    *args: str, config: Path, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """The real command line, in a process of its own (the test's servers keep serving)."""
    env = {**os.environ, "PGPW": PASSWORD, **(env or {})}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "monitor", "-c", str(config), *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def start_node(
    config: Path, *, program: Path | None = None, env: dict[str, str] | None = None
) -> asyncio.subprocess.Process:
    """``monitor run`` in a process of its own (a node of a cluster, or a daemon to signal),
    its stderr piped for the test to read; ``program`` runs a wrapper script instead of
    ``-m monitor``."""
    command = [str(program)] if program is not None else ["-m", "monitor"]
    return await asyncio.create_subprocess_exec(
        sys.executable, *command, "-c", str(config), "run",
        env={**os.environ, "PGPW": PASSWORD, **(env or {})},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def stop_nodes(procs: Sequence[asyncio.subprocess.Process]) -> list[str]:
    """SIGTERM to each node still running, then each one's stderr once it has exited."""
    for proc in procs:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
    return [(await asyncio.wait_for(p.communicate(), 60))[1].decode() for p in procs]


def with_password(url: str) -> str:
    # The test cluster trusts 127.0.0.1, so any password is accepted: what matters is that
    # it is taken from the environment and never printed.
    return url.replace("@", ":${PGPW}@", 1)
