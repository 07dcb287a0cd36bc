"""What is this store's alone, and stays so: a token of when its schema was first created
(the first migration's ``applied_at``). Mail derives its Message-IDs from it
(``channels.mailthread``): the same after a restart, on every node of a cluster sharing the
store, and not another store's, whose alert ids start at 1 too."""

from __future__ import annotations

import hashlib

from monitor.store.db import Db


async def store_origin(db: Db) -> str:
    """16 hex digits unique to this store; "" for one not migrated (no schema yet)."""
    created = await db.fetch_val("SELECT MIN(applied_at) FROM migrations")
    if created is None:
        return ""
    # A hash: the ids need not tell when the store was made.
    return hashlib.sha256(repr(float(created)).encode()).hexdigest()[:16]
