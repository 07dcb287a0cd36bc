"""store.leases: feeds leased, not owned, by the nodes that share one PostgreSQL.

A feed's row says when it is due (``next_poll_at``) and, while a node polls it, which node and
until when (``leased_by``, ``lease_until``). A node takes due feeds in batches with
``FOR UPDATE SKIP LOCKED`` (two nodes never wait on, nor take, the same row), polls them and
hands each back with its next time. A node that dies stops extending its leases
(``cluster.heartbeat``); once they run out the feeds are due for any other node (those it was
polling at their usual gap plus a lease after it took them). A feed is therefore polled at
most once per interval: its next time is written only by the lease holder, and a lease is
taken only on a feed that is due and not held.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import asyncpg

from monitor.store.cluster import NOW


@dataclass(frozen=True, slots=True)
class Lease:
    """A feed this node may poll now; ``due`` is when it was due (how late it is taken)."""

    feed_url: str
    due: float
    until: float


async def sync(
    conn: asyncpg.Connection, due: Iterable[tuple[str, float]], *, remove_others: bool = True
) -> None:
    """Make the configured feeds the leased ones: a new feed is due the given seconds from now
    (a cold start's spread); a known one keeps its time and any lease. With
    ``remove_others``, feeds no longer configured go (every node runs the same config)."""
    pairs = list(due)
    async with conn.transaction():
        await conn.executemany(
            f"INSERT INTO feed_leases (feed_url, next_poll_at) VALUES ($1, {NOW} + $2)"
            " ON CONFLICT (feed_url) DO NOTHING",
            pairs,
        )
        if remove_others:
            await conn.execute(
                "DELETE FROM feed_leases WHERE NOT (feed_url = ANY($1::text[]))",
                [url for url, _ in pairs],
            )


async def take_due(conn: asyncpg.Connection, node: int, limit: int, lease: float) -> list[Lease]:
    """Lease at most ``limit`` due feeds to ``node``, the most overdue first."""
    if limit <= 0:
        return []
    rows = await conn.fetch(
        f"""
        WITH due AS (
            SELECT feed_url FROM feed_leases
            WHERE next_poll_at <= {NOW} AND (lease_until IS NULL OR lease_until < {NOW})
            ORDER BY next_poll_at LIMIT $2
            FOR UPDATE SKIP LOCKED
        )
        UPDATE feed_leases f
        SET leased_by = $1, lease_until = {NOW} + $3, last_poll_at = {NOW},
            last_polled_by = $1, polls = f.polls + 1,
            -- If this node dies mid-poll, its request may have reached the feed's host: the
            -- feed is due again at its usual gap, not as soon as the lease runs out. The gap
            -- counts from a lease later than now: the request leaves when a fetch slot (the
            -- per-host limit) frees, which may be a while after the feed was taken.
            next_poll_at = {NOW} + f.last_delay + $3
        FROM due WHERE f.feed_url = due.feed_url
        RETURNING f.feed_url, f.next_poll_at, f.lease_until
        """,
        node,
        limit,
        lease,
    )
    return [Lease(r["feed_url"], r["next_poll_at"], r["lease_until"]) for r in rows]


async def hand_back(
    conn: asyncpg.Connection, node: int, done: Sequence[tuple[str, float, float]]
) -> list[str]:
    """Give polled feeds back as (url, delay, gap): each due again ``delay`` seconds from now
    (a delay, not a time: the database's clock decides, so the nodes' clocks need not agree);
    ``gap`` (at least ``delay``) counts from the poll's start, before its request left, and is
    what a node that dies with the feed's next request in flight keeps it from others
    (``take_due``, ``heartbeat``). Only leases ``node`` still holds count: a feed another node
    took over meanwhile (this one stalled past its lease) keeps the other's schedule. Returns
    the feeds handed back."""
    if not done:
        return []
    rows = await conn.fetch(
        f"""
        UPDATE feed_leases f
        SET next_poll_at = {NOW} + d.delay, last_delay = d.gap, leased_by = NULL,
            lease_until = NULL
        FROM unnest($2::text[], $3::float8[], $4::float8[]) AS d(url, delay, gap)
        WHERE f.feed_url = d.url AND f.leased_by = $1
        RETURNING f.feed_url
        """,
        node,
        [url for url, _, _ in done],
        [delay for _, delay, _ in done],
        [max(delay, gap) for _, delay, gap in done],
    )
    return [r["feed_url"] for r in rows]


async def hand_back_stopped(
    conn: asyncpg.Connection, node: int, stopped: Sequence[tuple[str, float | None]]
) -> list[str]:
    """Give back feeds whose polls were cancelled mid-way (a stop) as (url, sent): ``sent``
    seconds ago the poll's request may have left, so the feed is due its usual gap (its
    ``last_delay``, kept) after that, lest another node poll it again within its interval;
    ``sent`` None: no request left, due now. Only leases ``node`` still holds count. Returns
    the feeds handed back."""
    if not stopped:
        return []
    rows = await conn.fetch(
        f"""
        UPDATE feed_leases f
        SET next_poll_at = {NOW} + greatest(0, coalesce(f.last_delay - d.sent, 0)),
            leased_by = NULL, lease_until = NULL
        FROM unnest($2::text[], $3::float8[]) AS d(url, sent)
        WHERE f.feed_url = d.url AND f.leased_by = $1
        RETURNING f.feed_url
        """,
        node,
        [url for url, _ in stopped],
        [sent for _, sent in stopped],
    )
    return [r["feed_url"] for r in rows]


async def next_due(conn: asyncpg.Connection) -> float | None:
    """Seconds until the next feed is due and free (0 if one is now); None with no feeds."""
    value: float | None = await conn.fetchval(
        f"""
        SELECT greatest(0, min(greatest(next_poll_at, coalesce(lease_until, 0))) - {NOW})
        FROM feed_leases
        """
    )
    return value


async def bring_forward(conn: asyncpg.Connection, feed_url: str, delay: float) -> None:
    """Make a feed due within ``delay`` seconds if it was due later (a reload's new feed)."""
    await conn.execute(
        f"UPDATE feed_leases SET next_poll_at = least(next_poll_at, {NOW} + $2)"
        " WHERE feed_url = $1",
        feed_url,
        delay,
    )


async def held_by(conn: asyncpg.Connection, node: int) -> list[str]:
    rows = await conn.fetch("SELECT feed_url FROM feed_leases WHERE leased_by = $1", node)
    return [r["feed_url"] for r in rows]
