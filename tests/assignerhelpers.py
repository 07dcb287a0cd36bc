"""Two nodes of a cluster in one test process, as the tests of the assigner's decisions drive
them: node A polls and leaves its new items in the queue, node B (the assigner of a term)
assigns them and sends their alerts."""

from __future__ import annotations

import asyncpg

from monitor.cluster.assigner import Assigner, queue_for_assigner
from monitor.cluster.election import Term
from monitor.config import Config
from monitor.engine import Engine
from monitor.oneshot import poll_all
from monitor.store import cluster as cluster_store


async def take_assigner_role(conn: asyncpg.Connection) -> Term:
    """Node B joins over ``conn`` (its session holds the role) and becomes the assigner."""
    await cluster_store.ensure_schema(conn)
    node = await cluster_store.register(conn, "node-b", 4243)
    epoch = await cluster_store.take_role(conn, "assigner", node)
    assert epoch is not None
    return Term("assigner", epoch, node)


async def poll_to_queue(config: Config) -> int:
    """Node A polls every feed; its new items wait in the queue: how many."""
    poller = await Engine.open(config)
    try:
        poller.rt.assign = queue_for_assigner
        return sum(o.new_items for o in await poll_all(poller.rt, progress=False))
    finally:
        await poller.close()


async def assign_queued(config: Config, term: Term, queued: int) -> None:
    """Node B, the assigner of ``term``, assigns the ``queued`` items and sends their alerts."""
    assigner = await Engine.open(config)
    try:
        lead = Assigner(assigner.rt, lambda: None)
        assigner.rt.stages.invalidate(failed=False)  # as ``Assigner.lead`` starts
        assert await lead._round(term) == queued
        assert await assigner.drain(20)
    finally:
        await assigner.close()
