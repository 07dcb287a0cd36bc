"""check-config works offline: it asks the store for the feeds' titles only when a rule names
a feed the config does not, and then briefly: a database that accepts a connection but never
answers (a PostgreSQL behind a firewall) does not hold it for the driver's minute."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize(
    ("rule_feed", "asks_store"),
    [
        ("Example", False),  # the configured name: the config alone answers
        # Not the config's: the title of the feed without a name is asked for, briefly.
        ("Exampel", True),
    ],
)
async def test_check_config_beside_a_database_that_never_answers(
    tmp_path: Path, rule_feed: str, asks_store: bool
) -> None:
    connections: list[asyncio.StreamWriter] = []

    async def silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)  # accepted, never answered

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    config = tmp_path / "config.toml"
    config.write_text(
        f'[monitor]\ndatabase = "postgresql://monitor:s3cret@127.0.0.1:{port}/monitor"\n'
        '[[feeds]]\nurl = "https://example.org/feed.xml"\nname = "Example"\n'
        '[[feeds]]\nurl = "https://example.net/rss"\n'
        '[[rules]]\nname = "r"\nquery = "Putin"\nchannels = []\n'
        f'feeds = ["{rule_feed}"]\n'
    )
    started = time.monotonic()
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "monitor", "check-config", "-c", str(config),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        out, err = await asyncio.wait_for(proc.communicate(), 100)
    finally:
        server.close()
        for writer in connections:
            writer.close()
    took = time.monotonic() - started
    assert proc.returncode == 0, err
    assert ": ok (2 feeds, 1 rule" in out.decode()
    assert took < 30, f"check-config took {took:.1f}s"  # the driver's own limit is 60 s
    assert bool(connections) is asks_store
    assert "s3cret" not in err.decode()
