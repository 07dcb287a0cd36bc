"""The assigner and the sender on different nodes: a new story's alert goes out within a
second of the poll that brought it (the sender is woken by the assigner's NOTIFY, not left
to its 5 s idle check)."""

from __future__ import annotations

from pathlib import Path

from clusterwake import cross_node_latencies
from feedserver import FeedServer

WITHIN = 1.0  # seconds from the poll to the message; the idle check alone takes up to 5


async def test_a_new_story_is_alerted_at_once_across_nodes(
    feed_server: FeedServer, pg_url: str, tmp_path: Path
) -> None:
    latencies = await cross_node_latencies(feed_server, pg_url, tmp_path, listen=True)
    assert max(latencies) <= WITHIN, [round(s, 2) for s in latencies]
