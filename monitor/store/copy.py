"""Copying a whole store to another database (SQLite to PostgreSQL, and back): every table,
ids kept, in one transaction on the target, which must be empty."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from monitor.errors import StoreError
from monitor.store import cluster_queue
from monitor.store.base import Store
from monitor.store.db import Db
from monitor.store.location import is_postgres, sqlite_path

# Parents before children (the foreign keys hold at every row); each with its order.
TABLES = [
    ("feeds", "id"),
    ("events", "id"),
    ("event_outlets", "event_id, name"),
    ("stories", "id"),
    ("story_outlets", "story_id, name"),
    ("items", "id"),
    ("matches", "id"),
    ("alerts", "id"),
    ("alert_attempts", "id"),
    ("alert_growth", "owner"),
    ("websub_subscriptions", "id"),
    ("websub_refusals", "reason"),
]
# A running cluster's state, not data (``store.cluster``): who is alive, who leads, who polls
# what. A copy starts with none, as a new node does.
CLUSTER_STATE = frozenset({"cluster_nodes", "cluster_roles", "feed_leases"})
# Kept by the target itself: its migrations are applied when it is opened.
NOT_COPIED = frozenset({"migrations"}) | CLUSTER_STATE
# The items a cluster's polls stored for its assigner, not yet in a story: copied if any (the
# table made on the target), for the next assigner (PostgreSQL) or filed when the copy is
# opened (SQLite: ``monitor.queued``). Without them those items would never be in a story.
QUEUE = (cluster_queue.TABLE, "item_id")
BATCH = 5000
REPORT_EVERY = 50_000  # rows between progress lines on a large table

Progress = Callable[[str], None]


async def tables_of(db: Db) -> set[str]:
    if db.dialect == "sqlite":
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    else:
        sql = (
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
    return {str(r[0]) for r in await db.fetch_all(sql)}


async def columns_of(db: Db, table: str) -> list[str]:
    if db.dialect == "sqlite":
        return [str(r[1]) for r in await db.fetch_all(f"PRAGMA table_info({table})")]
    rows = await db.fetch_all(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
        (table,),
    )
    return [str(r[0]) for r in rows]


async def copy_store(
    source: Store, target: Store, progress: Progress, *, queue: bool = True
) -> dict[str, int]:
    """Copy every row of ``source`` into ``target`` (both open and migrated); the rows copied
    per table. Refuses a target that holds any row, and a source with a table it does not
    know (a newer version's). A cluster's state is left behind, its queued items not (unless
    not ``queue``)."""
    known = {t for t, _ in TABLES} | {QUEUE[0]}
    present = await tables_of(source.db)
    unknown = sorted(present - known - NOT_COPIED)
    if unknown:
        raise StoreError(
            f"cannot copy {source.name}: it has tables this version does not know"
            f" ({', '.join(unknown)}); copy it with the version that made it"
        )
    tables = list(TABLES)
    queued = queue and QUEUE[0] in present
    if queued and await source.db.fetch_val(f"SELECT 1 FROM {QUEUE[0]} LIMIT 1"):
        tables.append(QUEUE)
    in_target = await tables_of(target.db)
    for table, _ in tables:
        if table not in in_target:
            continue
        if await target.db.fetch_val(f"SELECT 1 FROM {table} LIMIT 1") is not None:
            raise StoreError(
                f"the target database {target.name} is not empty (it has {table}):"
                " copy-store only fills a new, empty database"
            )
    copied: dict[str, int] = {}
    async with target.transaction() as db:
        if len(tables) > len(TABLES):
            await db.execute(cluster_queue.CREATE)
        for table, order in tables:
            columns = [c for c in await columns_of(source.db, table)]
            wanted = set(await columns_of(db, table))
            columns = [c for c in columns if c in wanted]
            names = ", ".join(columns)
            insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
            total = int(await source.db.fetch_val(f"SELECT COUNT(*) FROM {table}") or 0)
            count = 0
            async for rows in source.db.stream(
                f"SELECT {names} FROM {table} ORDER BY {order}", size=BATCH
            ):
                await db.execute_many(insert, [tuple(r) for r in rows])
                before, count = count, count + len(rows)
                if total >= REPORT_EVERY and count // REPORT_EVERY > before // REPORT_EVERY:
                    progress(f"{table}: {count:,} of {total:,} rows")
            if order == "id" and db.dialect == "postgresql":
                # The ids came with the rows: the next one a node takes must follow them.
                await db.fetch_val(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                )
            copied[table] = count
            progress(f"{table}: {count:,} rows")
    return copied


async def copy_between(
    source: Path | str,
    target: Path | str,
    progress: Progress,
    *,
    source_readonly: bool = False,
    queue: bool = True,
) -> dict[str, int]:
    """Open both, ``copy_store``, close both. The source is opened as its writer unless
    ``source_readonly``: on SQLite that takes its lock, so a running daemon is not copied
    half-way through a poll (and is told so in one line). ``queue``: False leaves a
    cluster's queued items behind (``once --dry-run``: they are the nodes' work, which a
    real ``once`` does not do either)."""
    if not is_postgres(source) and not sqlite_path(source).is_file():
        raise StoreError(f"no database at {source}")
    src = await (Store.open_readonly(source) if source_readonly else Store.open(source))
    try:
        dst = await Store.open(target)
        try:
            return await copy_store(src, dst, progress, queue=queue)
        finally:
            await dst.close()
    finally:
        await src.close()
