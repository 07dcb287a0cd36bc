"""WebSub subscriptions in the store: hub, topic, callback token, secret, lease, pushes."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from monitor.store.db import Db


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


async def all_subscriptions(db: Db) -> list[Subscription]:
    rows = await db.fetch_all(f"SELECT {', '.join(_FIELDS)} FROM websub_subscriptions ORDER BY id")
    return [Subscription(**{n: row[n] for n in _FIELDS}) for row in rows]


async def add(
    db: Db, *, feed_url: str, hub: str, topic: str, token: str, secret: str
) -> Subscription:
    """A new pending subscription for ``feed_url``, replacing any it had (another hub)."""
    await db.execute("DELETE FROM websub_subscriptions WHERE feed_url = ?", (feed_url,))
    new_id = await db.fetch_val(
        "INSERT INTO websub_subscriptions (feed_url, hub, topic, token, secret, state)"
        " VALUES (?, ?, ?, ?, ?, 'pending') RETURNING id",
        (feed_url, hub, topic, token, secret),
    )
    return Subscription(int(new_id), feed_url, hub, topic, token, secret)


async def save(db: Db, sub: Subscription) -> None:
    await db.execute(_UPDATE, (*(getattr(sub, n) for n in _MUTABLE), sub.id))


async def delete(db: Db, sub_id: int) -> None:
    await db.execute("DELETE FROM websub_subscriptions WHERE id = ?", (sub_id,))


async def count_refusals(db: Db, counts: Mapping[str, int]) -> None:
    await db.execute_many(
        "INSERT INTO websub_refusals (reason, count) VALUES (?, ?)"
        " ON CONFLICT (reason) DO UPDATE SET count = websub_refusals.count + excluded.count",
        [(reason, n) for reason, n in counts.items() if n],
    )


async def refusals(db: Db) -> dict[str, int]:
    rows = await db.fetch_all("SELECT reason, count FROM websub_refusals ORDER BY reason")
    return {str(r[0]): int(r[1]) for r in rows}
