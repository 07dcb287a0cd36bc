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
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from monitor.config import Config
from monitor.errors import StoreError
from monitor.plural import plural
from monitor.store.location import is_postgres

if TYPE_CHECKING:
    from monitor.store.cluster import LiveNode


class NodesRunning(StoreError):
    """Live nodes run the monitor on this database; ``in_use`` names it and them."""

    def __init__(self, database: str, nodes: list[LiveNode]) -> None:
        named = "; ".join(
            f"node {n.id} on {n.host}, pid {n.pid}, heartbeat {n.silent:.0f}s ago, role: {n.role}"
            for n in nodes
        )
        self.in_use = (
            f"the database {database} is in use by {plural(len(nodes), 'running node')} ({named})"
        )
        one = len(nodes) == 1
        super().__init__(
            f"{self.in_use}, which {'decides' if one else 'decide'} stories and"
            f" {'sends' if one else 'send'} alerts: this command beside"
            f" {'it' if one else 'them'} would do both again; stop {'it' if one else 'them'}"
            " first (a node is dead, and no longer counts, once silent for [cluster] lease)"
        )
        self.nodes = nodes


@contextlib.asynccontextmanager
async def alone(config: Config) -> AsyncIterator[None]:
    """Run the body as the monitor's only process on a PostgreSQL store (``NodesRunning``
    while nodes live); nothing on SQLite, where the writer's lock does it. Imports the
    PostgreSQL driver (an extra) only for a PostgreSQL store."""
    location = config.database_location
    if not isinstance(location, str) or not is_postgres(location):
        yield
        return
    import asyncpg

    from monitor.cluster.assigner import ROLE as ASSIGNER
    from monitor.cluster.runtime import SENDER
    from monitor.store import cluster as cluster_store
    from monitor.store.pgdb import ERRORS, reason

    roles = (ASSIGNER, SENDER)

    shown = config.database_shown
    try:
        conn = await asyncpg.connect(location)
    except (*ERRORS, ValueError) as exc:
        raise StoreError(f"cannot open the database {shown}: {reason(exc)}") from None
    try:
        try:
            # The roles first: a node that starts after this is elected to neither, and one
            # that started before is alive below.
            held = [await cluster_store.hold_role(conn, role) for role in roles]
            nodes = await cluster_store.live_nodes(conn, config.cluster.lease)
        except ERRORS as exc:
            raise StoreError(f"cannot use the database {shown}: {reason(exc)}") from None
        if nodes:
            raise NodesRunning(shown, nodes)
        taken = [role for role, ok in zip(roles, held, strict=True) if not ok]
        if taken:
            raise StoreError(
                f"the database {shown} is in use by another monitor: the {' and '.join(taken)}"
                f" {'role is' if len(taken) == 1 else 'roles are'} held by a process that is"
                " no live node (another `monitor once`, `test-alert` or `replay --deliver`)"
            )
        yield
    finally:
        # Closing the connection hands the roles back to the nodes.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(5):
                await conn.close()
