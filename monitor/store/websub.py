"""WebSub subscriptions in the store: hub, topic, callback token, secret, lease, pushes."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import aiosqlite


@dataclass(slots=True)
class Subscription:
    """One feed's subscription at its hub, as the store keeps it.

    ``state``: pending (asked, not yet verified), live (verified, pushes expected),
    fallback (the hub went silent: the feed is polled as usual), unsubscribing (the feed
    left the config), denied (the hub said no; ``reason`` says why).
    """

    id: int
    feed_url: str
    hub: str
    topic: str
    token: str
    secret: str = dataclasses.field(repr=False)
    state: str = "pending"
    requested_at: float | None = None
    verified_at: float | None = None
    lease_end: float | None = None
    last_push: float | None = None
    pushes: int = 0
    last_new: float | None = None
    gap: float | None = None
    misses: int = 0
    reason: str | None = None
    last_error: str | None = None


_FIELDS = [f.name for f in dataclasses.fields(Subscription)]
_MUTABLE = [f for f in _FIELDS if f not in ("id", "feed_url", "token")]
_UPDATE = f"UPDATE websub_subscriptions SET {', '.join(f'{n} = ?' for n in _MUTABLE)} WHERE id = ?"


async def all_subscriptions(db: aiosqlite.Connection) -> list[Subscription]:
    async with db.execute(
        f"SELECT {', '.join(_FIELDS)} FROM websub_subscriptions ORDER BY id"
    ) as cur:
        return [Subscription(**{n: row[n] for n in _FIELDS}) for row in await cur.fetchall()]


async def add(
    db: aiosqlite.Connection, *, feed_url: str, hub: str, topic: str, token: str, secret: str
) -> Subscription:
    """A new pending subscription for ``feed_url``, replacing any it had (another hub)."""
    await db.execute("DELETE FROM websub_subscriptions WHERE feed_url = ?", (feed_url,))
    cur = await db.execute(
        "INSERT INTO websub_subscriptions (feed_url, hub, topic, token, secret, state)"
        " VALUES (?, ?, ?, ?, ?, 'pending')",
        (feed_url, hub, topic, token, secret),
    )
    assert cur.lastrowid is not None
    return Subscription(cur.lastrowid, feed_url, hub, topic, token, secret)


async def save(db: aiosqlite.Connection, sub: Subscription) -> None:
    await db.execute(_UPDATE, (*(getattr(sub, n) for n in _MUTABLE), sub.id))


async def delete(db: aiosqlite.Connection, sub_id: int) -> None:
    await db.execute("DELETE FROM websub_subscriptions WHERE id = ?", (sub_id,))


async def count_refusals(db: aiosqlite.Connection, counts: Mapping[str, int]) -> None:
    await db.executemany(
        "INSERT INTO websub_refusals (reason, count) VALUES (?, ?)"
        " ON CONFLICT (reason) DO UPDATE SET count = count + excluded.count",
        [(reason, n) for reason, n in counts.items() if n],
    )


async def refusals(db: aiosqlite.Connection) -> dict[str, int]:
    async with db.execute("SELECT reason, count FROM websub_refusals ORDER BY reason") as cur:
        return {str(r[0]): int(r[1]) for r in await cur.fetchall()}
