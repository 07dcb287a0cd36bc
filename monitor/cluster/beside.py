"""cluster.beside: a command that acts as a monitor's only process (``once``, ``test-alert``,
``replay --deliver``) on a PostgreSQL store that nodes are running.

On SQLite the writer's lock file refuses it beside a daemon (``store/lock.py``). On
PostgreSQL nodes share the database on purpose, but ``once`` decides stories and sends
alerts in its own process, beside the elected assigner and sender: both would be done twice.
So such a command is refused while a node is alive (not stopped, beat within ``[cluster]
lease``: a dead node does not count), and for its own run it holds the advisory locks of the
assigner's and the sender's roles: a node started meanwhile polls, but is elected to neither
until the command has ended (its connection closed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from monitor.config import Config
from monitor.errors import StoreError
from monitor.plural import plural
from monitor.store.location import is_postgres

log = logging.getLogger("monitor.cluster")

CONNECT_TIMEOUT = 10.0  # seconds: a server that drops packets is not waited for a minute

if TYPE_CHECKING:
    from monitor.store.cluster import LiveNode


class NodesRunning(StoreError):
    """Live nodes run the monitor on this database; ``in_use`` names it and them."""

    def __init__(self, database: str, nodes: list[LiveNode], *, copy: bool = False) -> None:
        named = "; ".join(
            f"node {n.id} on {n.host}, pid {n.pid}, heartbeat {n.silent:.0f}s ago, role: {n.role}"
            for n in nodes
        )
        self.in_use = (
            f"the database {database} is in use by {plural(len(nodes), 'running node')} ({named})"
        )
        one = len(nodes) == 1
        harm = (
            "a copy would read it half-changed"
            if copy
            else f"this command beside {'it' if one else 'them'} would do both again"
        )
        super().__init__(
            f"{self.in_use}, which {'decides' if one else 'decide'} stories and"
            f" {'sends' if one else 'send'} alerts: {harm}; stop {'it' if one else 'them'}"
            " first (a node is dead, and no longer counts, once silent for [cluster] lease)"
        )
        self.nodes = nodes


@contextlib.asynccontextmanager
async def alone(config: Config, *, unreachable_ok: bool = False) -> AsyncIterator[None]:
    """Run the body as the monitor's only process on a PostgreSQL store (``NodesRunning``
    while nodes live); nothing on SQLite, where the writer's lock does it. Imports the
    PostgreSQL driver (an extra) only for a PostgreSQL store. ``unreachable_ok``: a
    command that needs no database (``test-alert``) runs, with a warning, when it cannot
    be reached (no node can send then either)."""
    location = config.database_location
    if not isinstance(location, str) or not is_postgres(location):
        yield
        return
    async with alone_at(
        location, config.database_shown, config.cluster.lease, unreachable_ok=unreachable_ok
    ):
        yield


@contextlib.asynccontextmanager
async def alone_at(
    location: str, shown: str, lease: float, *, unreachable_ok: bool = False, copy: bool = False
) -> AsyncIterator[None]:
    """``alone`` on the PostgreSQL store at ``location`` (``shown`` as messages name it),
    whose nodes are dead once silent for ``lease`` seconds: for ``copy-store`` (``copy``),
    which has a URL rather than a config."""
    import asyncpg

    from monitor.cluster.assigner import ROLE as ASSIGNER
    from monitor.cluster.runtime import SENDER
    from monitor.store import cluster as cluster_store
    from monitor.store.pgdb import ERRORS, reason

    roles = (ASSIGNER, SENDER)
    try:
        conn = await asyncpg.connect(location, timeout=CONNECT_TIMEOUT)
    except (*ERRORS, ValueError, TimeoutError) as exc:
        if not unreachable_ok:
            raise StoreError(f"cannot open the database {shown}: {reason(exc)}") from None
        log.warning("cannot open the database %s (%s): going on without it", shown, reason(exc))
        yield
        return
    try:
        try:
            await cluster_store.keep_session(conn)  # the server must not end it while we run
            # The roles first: a node that starts after this is elected to neither, and one
            # that started before is alive below. In one order everywhere, stopping at the
            # first one taken: of two commands started together, one gets both.
            taken = holder = None
            for role in roles:
                if not await cluster_store.hold_role(conn, role):
                    taken = role
                    break
            nodes = await cluster_store.live_nodes(conn, lease)
            if not nodes and taken is not None:
                holder = await cluster_store.silent_holder(conn, taken)
        except ERRORS as exc:
            raise StoreError(f"cannot use the database {shown}: {reason(exc)}") from None
        if nodes:
            raise NodesRunning(shown, nodes, copy=copy)
        if taken is not None:
            by = (
                f"node {holder.id} on {holder.host}, pid {holder.pid}, silent for"
                f" {holder.silent:.0f}s, past [cluster] lease but with its connection still"
                " open (frozen or cut off?)"
                if holder is not None
                else "a process that is no node (another `monitor once`, `test-alert` or"
                " `replay --deliver`)"
            )
            raise StoreError(
                f"the database {shown} is in use by another monitor: the {taken} role is held"
                f" by {by}"
            )
        yield
    finally:
        # Closing the connection hands the roles back to the nodes.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(5):
                await conn.close()
