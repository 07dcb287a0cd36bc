"""Conditional-GET validators are shared: whichever node polls a feed next sends the ETag the
last poll got, so an unchanged feed is fetched in full once, not once per node."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import asyncpg
from clirun import start_node, stop_nodes, with_password
from feedserver import FeedServer, rss

FEEDS = 12


async def test_a_feed_is_fetched_in_full_once_whichever_node_polls_it(
    feed_server: FeedServer, pg_url: str, tmp_path: Path
) -> None:
    lines = ["[monitor]", f'database = "{with_password(pg_url)}"', "jitter = 0",
             'interval = "1s"', 'min_interval = "1s"', 'grace_period = "2s"',
             "[cluster]", 'lease = "3s"', 'heartbeat = "0.3s"', 'election = "0.3s"']  # fmt: skip
    for i in range(FEEDS):
        feed_server.feed(f"/v{i}", rss(f"Feed {i}", [(f"Headline {i}", f"http://v{i}.example/")]))
        lines += ["[[feeds]]", f'url = "{feed_server.url(f"/v{i}")}"']
    config = tmp_path / "config.toml"
    config.write_text("\n".join(lines), "utf-8")
    db = await asyncpg.connect(pg_url)
    procs = []
    try:
        for _ in range(2):
            procs.append(await start_node(config))
        deadline = time.monotonic() + 60
        by: list[asyncpg.Record] = []
        while time.monotonic() < deadline:  # several polls of each feed, by either node
            if min(len(feed_server.hits(f"/v{i}")) for i in range(FEEDS)) >= 3:
                by = await db.fetch("SELECT DISTINCT last_polled_by FROM feed_leases")
                if len(by) == 2:
                    break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # one more round, for a second full fetch to show
    finally:
        await stop_nodes(procs)
        await db.close()
    assert len(by) == 2  # both nodes polled
    for i in range(FEEDS):
        hits = feed_server.hits(f"/v{i}")
        full = [h for h in hits if "If-None-Match" not in h.headers]
        assert len(hits) >= 3
        assert len(full) == 1, f"/v{i}: {len(full)} full fetches of an unchanged feed"
