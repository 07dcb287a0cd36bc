"""A cluster's cold start over a real PostgreSQL: one node polls and queues its items for the
assigner, another node assigns them. The items of the feeds' first poll keep their mark
through the queue (``items.first_poll``): two undated pieces of news that share two names
("Putin", "Moscow"), first seen together, each get their own alert, as on one process."""

from __future__ import annotations

from pathlib import Path

import asyncpg
from feedserver import FeedServer
from helpers import make_config
from standins import webhook_receiver
from test_events_when import BOLSONARO, HOOK_RULE, INVITE, RAIN, rss

from monitor.cluster.assigner import Assigner, queue_for_assigner
from monitor.cluster.election import Term
from monitor.engine import Engine
from monitor.oneshot import poll_all
from monitor.store import cluster as cluster_store


async def test_the_assigner_takes_a_cold_starts_undated_items_as_untimed(
    feed_server: FeedServer, pg_url: str, tmp_path: Path
) -> None:
    feed_server.feed("/f0", rss("outlet0", [(BOLSONARO, None)]))
    feed_server.feed("/f1", rss("outlet1", [(INVITE, None), (RAIN, None)]))
    urls = [feed_server.url("/f0"), feed_server.url("/f1")]
    async with webhook_receiver() as hook:
        config = make_config(tmp_path, urls, HOOK_RULE.format(url=hook.url), database=pg_url)
        conn = await asyncpg.connect(pg_url)  # node B's session: it holds the role
        try:
            await cluster_store.ensure_schema(conn)
            node = await cluster_store.register(conn, "node-b", 4243)
            epoch = await cluster_store.take_role(conn, "assigner", node)
            assert epoch is not None
            poller = await Engine.open(config)  # node A polls: its items wait in the queue
            try:
                poller.rt.assign = queue_for_assigner
                await poll_all(poller.rt, progress=False)
            finally:
                await poller.close()
            assigner = await Engine.open(config)  # node B assigns them
            try:
                lead = Assigner(assigner.rt, lambda: None)
                assigner.rt.stages.invalidate(failed=False)  # as ``Assigner.lead`` starts
                assert await lead._round(Term("assigner", epoch, node)) == 3
                assert await assigner.drain(20)
            finally:
                await assigner.close()
        finally:
            await conn.close()
    said = sorted(p["alert"]["title"] for p in hook.payloads() if p["alert"]["kind"] == "new")
    assert len(said) == 2, said
    assert said[0].startswith(BOLSONARO) and said[1].startswith(INVITE), said
