"""The subscriptions in memory, by feed and by callback token, written through to the store."""

from __future__ import annotations

import secrets
from collections import Counter

from monitor.store import Store
from monitor.store import websub as ws_store
from monitor.store.websub import Subscription
from monitor.websub.discover import Discovery


class Registry:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.by_feed: dict[str, Subscription] = {}
        self.by_token: dict[str, Subscription] = {}
        self._refused: Counter[str] = Counter()  # not yet in the store

    async def load(self) -> None:
        for sub in await ws_store.all_subscriptions(self.store.db):
            self._remember(sub)

    def _remember(self, sub: Subscription) -> None:
        self.by_feed[sub.feed_url] = sub
        self.by_token[sub.token] = sub

    def _forget(self, sub: Subscription) -> None:
        if self.by_feed.get(sub.feed_url) is sub:
            del self.by_feed[sub.feed_url]
        self.by_token.pop(sub.token, None)

    async def add(self, feed_url: str, found: Discovery) -> Subscription:
        """A new pending subscription, with its own callback token and secret."""
        async with self.store.transaction() as db:
            sub = await ws_store.add(
                db, feed_url=feed_url, hub=found.hub, topic=found.topic,
                token=secrets.token_urlsafe(24), secret=secrets.token_urlsafe(32),
            )  # fmt: skip
        old = self.by_feed.get(feed_url)
        if old is not None:
            self._forget(old)
        self._remember(sub)
        return sub

    async def save(self, sub: Subscription) -> None:
        if self.by_feed.get(sub.feed_url) is not sub:
            return  # replaced or dropped meanwhile
        async with self.store.transaction() as db:
            await ws_store.save(db, sub)

    async def drop(self, sub: Subscription) -> None:
        self._forget(sub)
        async with self.store.transaction() as db:
            await ws_store.delete(db, sub.id)

    def refuse(self, reason: str) -> None:
        self._refused[reason] += 1

    async def flush_refusals(self) -> None:
        """Add the refusals counted since the last flush to the store's totals."""
        if not self._refused:
            return
        counts, self._refused = self._refused, Counter()
        async with self.store.transaction() as db:
            await ws_store.count_refusals(db, counts)
