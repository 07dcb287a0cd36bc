"""One node at a time leads a role: a second stands by, takes over within seconds when the
leader's connection dies, and the old leader's writes are fenced off."""

from __future__ import annotations

import asyncio
import contextlib
import time

import asyncpg
import pytest

from monitor.cluster.election import Election, RoleLost, Term
from monitor.cluster.node import ClusterTiming, Node
from monitor.store import cluster as cluster_store

ROLE = "assigner"


async def _wait_for(predicate, within: float) -> float:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > within:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def test_one_leader_then_the_standby_takes_over_when_it_dies(
    pool: asyncpg.Pool, pg_url: str
) -> None:
    timing = ClusterTiming(lease=5.0, heartbeat=3600.0, election=0.3)
    nodes = [Node(pool, timing), Node(pool, timing)]
    for n in nodes:
        await n.start()
    terms: list[Term] = []

    async def lead(term: Term) -> None:
        terms.append(term)
        await asyncio.Event().wait()

    elections = [Election(ROLE, n, lambda: asyncpg.connect(pg_url), lead) for n in nodes]
    tasks = [asyncio.create_task(e.run()) for e in elections]
    try:
        await _wait_for(lambda: len(terms) == 1, 10)
        await asyncio.sleep(1.0)  # several election rounds: still only one leader
        assert len(terms) == 1
        first = terms[0]
        leader = next(e for e in elections if e.term is not None)
        assert [n.role for n in nodes].count(ROLE) == 1
        # The leader's connection is cut (as when its process is killed).
        async with pool.acquire() as conn:
            killed = await conn.fetchval(
                "SELECT pg_terminate_backend(pid) FROM pg_locks"
                " WHERE locktype = 'advisory' AND granted AND objid = $1::bigint::oid",
                cluster_store.role_key(ROLE),
            )
        assert killed
        took = await _wait_for(lambda: len(terms) == 2, 10)
        second = terms[1]
        assert second.epoch == first.epoch + 1
        assert took < 5 * timing.election + 2  # within seconds, not a lease
        # Whichever node won, the old term can no longer write as the role.
        async with pool.acquire() as conn:
            with pytest.raises(RoleLost):
                async with conn.transaction():
                    await first.fence(conn)
            async with conn.transaction():
                await second.fence(conn)
        assert leader.terms >= 1
    finally:
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t


async def test_a_fenced_write_waits_for_no_one_and_commits_in_its_term(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await cluster_store.ensure_schema(conn)
    lock_conn = await pool.acquire()
    try:
        epoch = await cluster_store.take_role(lock_conn, ROLE, 1)
        assert epoch == 1
        async with pool.acquire() as other:
            assert await cluster_store.take_role(other, ROLE, 2) is None  # held
        await cluster_store.give_up_role(lock_conn, ROLE)
        async with pool.acquire() as other:
            assert await cluster_store.take_role(other, ROLE, 2) == 2
            await cluster_store.give_up_role(other, ROLE)
            assert await cluster_store.holder(other, ROLE) == (2, 2)
    finally:
        await pool.release(lock_conn)
