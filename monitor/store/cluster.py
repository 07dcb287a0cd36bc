"""store.cluster: the nodes of a monitor that share one PostgreSQL, and who leads what.

Several nodes (``monitor run`` processes, one config, one database URL) coordinate through
four small tables, created here idempotently under an advisory lock so that nodes started at
once on an empty database create them once:

- ``cluster_nodes``: one row per node (host, pid, started, heartbeat, role). A node whose
  heartbeat is older than the lease is dead: its feed leases may be taken by others.
- ``feed_leases`` (``store.leases``): each feed's next poll and who polls it now.
- ``assign_queue`` (``store.cluster_queue``): the items polls stored, waiting for the assigner.
- ``cluster_roles``: one row per elected role (the story assigner, each channel's sender) with
  an epoch that the winner of an election increments: the fence that stops a node that lost
  its role (a stalled process, a dropped connection) from committing as if it still held it.

Every time here is the database's clock (``clock_timestamp()``, Unix seconds), so the nodes'
own clocks never need to agree. PostgreSQL only: SQLite has one process per database.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import asyncpg

from monitor.store import cluster_queue

# Seconds since the epoch by the database's clock, at the moment of the statement (now() is the
# transaction's start: a long transaction would see time stand still).
NOW = "extract(epoch FROM clock_timestamp())"

# The advisory-lock key space of the cluster: one key for the schema, one per elected role.
_SCHEMA_KEY = 0x6D6F6E69  # "moni"

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS cluster_nodes (
    id BIGSERIAL PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    started DOUBLE PRECISION NOT NULL,
    heartbeat DOUBLE PRECISION NOT NULL,
    role TEXT NOT NULL DEFAULT 'poller',      -- poller, or the roles it leads ("assigner, ...")
    stopped DOUBLE PRECISION                  -- a clean stop; a dead node only stops beating
);
CREATE TABLE IF NOT EXISTS feed_leases (
    feed_url TEXT PRIMARY KEY,                -- as configured: the feed's identity
    next_poll_at DOUBLE PRECISION NOT NULL,
    last_delay DOUBLE PRECISION NOT NULL DEFAULT 0,  -- the gap its last poll asked for
    leased_by BIGINT,                         -- cluster_nodes.id while being polled
    lease_until DOUBLE PRECISION,
    last_poll_at DOUBLE PRECISION,            -- when the last lease on it was taken
    last_polled_by BIGINT,
    polls BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS feed_leases_due ON feed_leases (next_poll_at);
{cluster_queue.CREATE};
CREATE TABLE IF NOT EXISTS cluster_roles (
    role TEXT PRIMARY KEY,
    epoch BIGINT NOT NULL DEFAULT 0,
    node BIGINT,
    since DOUBLE PRECISION
);
"""  # assign_queue, as a copy makes it on SQLite too


def role_key(role: str) -> int:
    """The advisory-lock key of an elected role (a stable 32-bit hash of its name)."""
    return zlib.crc32(role.encode("utf-8"))


async def ensure_schema(conn: asyncpg.Connection) -> None:
    """Create the cluster's tables if missing; nodes starting at once wait for the first."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _SCHEMA_KEY)
        await conn.execute(SCHEMA)


async def has_schema(conn: asyncpg.Connection) -> bool:
    """Whether nodes ever ran on this database (for readers that must not create it)."""
    return bool(await conn.fetchval("SELECT to_regclass('cluster_nodes') IS NOT NULL"))


@dataclass(frozen=True, slots=True)
class NodeRow:
    """One node as ``monitor status`` shows it."""

    id: int
    host: str
    pid: int
    started: float
    heartbeat: float
    role: str
    alive: bool
    feeds_leased: int


async def register(conn: asyncpg.Connection, host: str, pid: int) -> int:
    """A new node row; returns its id (a restarted process is a new node)."""
    node_id: int = await conn.fetchval(
        f"INSERT INTO cluster_nodes (host, pid, started, heartbeat) VALUES ($1, $2, {NOW}, {NOW})"
        " RETURNING id",
        host,
        pid,
    )
    return node_id


async def heartbeat(conn: asyncpg.Connection, node: int, role: str, lease: float) -> int:
    """Mark the node alive and extend the leases of the feeds it is polling; returns how many
    nodes are alive (beat within ``lease``), itself included."""
    async with conn.transaction():
        await conn.execute(
            f"UPDATE cluster_nodes SET heartbeat = {NOW}, role = $2 WHERE id = $1", node, role
        )
        # A poll longer than the lease keeps its feed while its node lives: only a node that
        # stops beating loses its feeds. Its request may leave after this beat (it waits for
        # its host's fetch slot): if the node dies, the feed is due at its usual gap from a
        # lease after this beat, as ``leases.take_due`` reckons from the take.
        await conn.execute(
            f"UPDATE feed_leases SET lease_until = {NOW} + $2,"
            f" next_poll_at = greatest(next_poll_at, {NOW} + last_delay + $2)"
            " WHERE leased_by = $1",
            node,
            lease,
        )
        live: int = await conn.fetchval(
            f"SELECT count(*) FROM cluster_nodes WHERE stopped IS NULL AND heartbeat >= {NOW} - $1",
            lease,
        )
    return live


async def deregister(conn: asyncpg.Connection, node: int) -> None:
    """A clean stop: the node's feeds are free at once, not when its lease runs out."""
    async with conn.transaction():
        await conn.execute(
            # Without the lease that take_due adds to a feed's next time: a clean stop has
            # handed back every poll it made, so no request of its is left in flight.
            "UPDATE feed_leases SET leased_by = NULL, lease_until = NULL,"
            f" next_poll_at = least(next_poll_at, {NOW} + last_delay) WHERE leased_by = $1",
            node,
        )
        await conn.execute(
            f"UPDATE cluster_nodes SET stopped = {NOW}, role = 'stopped' WHERE id = $1", node
        )


async def nodes(conn: asyncpg.Connection, lease: float, *, keep: float = 86400.0) -> list[NodeRow]:
    """The nodes that beat within ``keep`` seconds, newest first, with the feeds each holds."""
    rows = await conn.fetch(
        f"""
        SELECT n.id, n.host, n.pid, n.started, n.heartbeat, n.role,
               (n.stopped IS NULL AND n.heartbeat >= {NOW} - $1) AS alive,
               (SELECT count(*) FROM feed_leases f WHERE f.leased_by = n.id) AS leased
        FROM cluster_nodes n WHERE n.heartbeat >= {NOW} - $2 ORDER BY n.id DESC
        """,
        lease,
        keep,
    )
    return [
        NodeRow(r["id"], r["host"], r["pid"], r["started"], r["heartbeat"], r["role"],
                r["alive"], r["leased"])
        for r in rows
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class LiveNode:
    """A node alive now, as a command refused beside it names it."""

    id: int
    host: str
    pid: int
    role: str
    silent: float  # seconds since its last heartbeat, by the database's clock


async def live_nodes(conn: asyncpg.Connection, lease: float) -> list[LiveNode]:
    """The nodes alive now (not stopped, beat within ``lease``), oldest first. Reads only:
    none on a database nodes never ran on (nothing is created there)."""
    if not await has_schema(conn):
        return []
    rows = await conn.fetch(
        f"SELECT id, host, pid, role, {NOW} - heartbeat AS silent FROM cluster_nodes"
        f" WHERE stopped IS NULL AND heartbeat >= {NOW} - $1 ORDER BY id",
        lease,
    )
    return [LiveNode(r["id"], r["host"], r["pid"], r["role"], max(0.0, r["silent"])) for r in rows]


async def hold_role(conn: asyncpg.Connection, role: str) -> bool:
    """Hold ``role``'s advisory lock on ``conn`` without standing for it (no term): no node
    can be elected to it until ``conn`` closes, and the last term's epoch is raised, so that
    a stale holder's fenced writes fail. False when another connection holds it (a node, or
    another command holding it so)."""
    if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", role_key(role)):
        return False
    if await has_schema(conn):  # a term with no holder: the last holder's fence fails
        await conn.execute("UPDATE cluster_roles SET epoch = epoch + 1 WHERE role = $1", role)
    return True


async def keep_session(conn: asyncpg.Connection) -> None:
    """Keep ``conn`` open however long it is idle: a server's idle_session_timeout (PostgreSQL
    14+, set by some hosted services) would end it, and with it the roles it holds."""
    if conn.get_server_version().major >= 14:
        await conn.execute("SET idle_session_timeout = 0")


async def silent_holder(conn: asyncpg.Connection, role: str) -> LiveNode | None:
    """The node that last held ``role`` if it never stopped (it may hold it still, silent
    past its lease: frozen, or cut off while its connection stays open), else None."""
    if not await has_schema(conn):
        return None
    row = await conn.fetchrow(
        f"SELECT n.id, n.host, n.pid, n.role, {NOW} - n.heartbeat AS silent FROM cluster_roles r"
        " JOIN cluster_nodes n ON n.id = r.node WHERE r.role = $1 AND n.stopped IS NULL",
        role,
    )
    if row is None:
        return None
    return LiveNode(row["id"], row["host"], row["pid"], row["role"], max(0.0, row["silent"]))


async def forget_nodes(conn: asyncpg.Connection, older_than: float) -> int:
    """Delete the rows of nodes silent for ``older_than`` seconds (status shows a day's)."""
    result: str = await conn.execute(
        f"DELETE FROM cluster_nodes WHERE heartbeat < {NOW} - $1", older_than
    )
    return int(result.split()[-1])


async def take_role(conn: asyncpg.Connection, role: str, node: int) -> int | None:
    """Try to become the holder of ``role``: on success the session-level advisory lock is
    held by ``conn`` until it closes (a killed node's connection closes with it) and the
    returned epoch is the fence of this term; None when another node holds it."""
    if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", role_key(role)):
        return None
    epoch: int = await conn.fetchval(
        f"""
        INSERT INTO cluster_roles (role, epoch, node, since) VALUES ($1, 1, $2, {NOW})
        ON CONFLICT (role) DO UPDATE
        SET epoch = cluster_roles.epoch + 1, node = excluded.node, since = excluded.since
        RETURNING epoch
        """,
        role,
        node,
    )
    return epoch


async def give_up_role(conn: asyncpg.Connection, role: str) -> None:
    await conn.execute("SELECT pg_advisory_unlock($1)", role_key(role))


async def still_holds(conn: asyncpg.Connection, role: str, epoch: int) -> bool:
    """Inside a transaction that writes as ``role``: lock the role's row and check that no
    other node has been elected since. A newer holder's election waits for this transaction,
    so what commits here commits before any write of the next term."""
    current = await conn.fetchval(
        "SELECT epoch FROM cluster_roles WHERE role = $1 FOR UPDATE", role
    )
    return bool(current == epoch)


async def holder(conn: asyncpg.Connection, role: str) -> tuple[int, int] | None:
    """(node, epoch) of the role's current term, or None if it was never held."""
    row = await conn.fetchrow("SELECT node, epoch FROM cluster_roles WHERE role = $1", role)
    return (row["node"], row["epoch"]) if row is not None else None
