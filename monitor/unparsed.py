"""The fetched bodies that wait for a body slot, and the polls held back from fetching more.

Fetching outruns parsing and storing at a cold start: with up to four times
``[fetch] concurrency`` polls at once and ``[fetch] bodies_in_flight`` slots, most polls
used to wait with a fetched body, a block each, for the whole cycle. A poll that expects a
body (its feed gave no validators, so no 304 can come) now starts its fetch only while
fewer bodies wait than there are slots, and while fewer such fetches run than the fetcher
has connections besides (more would only queue for one, then all bring a body at once).
A slow server holds nobody back beyond that: over a real network, where fetching is the
slower part, no body waits and fetches run at the fetcher's full concurrency. Conditional
GETs are never held back.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Unparsed:
    """Counts the bodies waiting for a slot and the fetches that will bring one; wakes
    held-back polls as slots take bodies and fetches end."""

    def __init__(self) -> None:
        self.waiting = 0  # bodies fetched, waiting for a body slot
        self.fetching = 0  # fetches let through by ``fetch``, not ended yet
        self._held: deque[asyncio.Future[None]] = deque()
        self._most = (1, 1)

    @asynccontextmanager
    async def fetch(self, bodies: int, fetches: int) -> AsyncIterator[None]:
        """Around a fetch sure to bring a body: it starts once fewer than ``bodies`` wait
        for a slot and fewer than ``fetches`` such fetches run beside them."""
        self._most = (bodies, fetches)
        if self._room() > 0 and not self._held:
            self.fetching += 1
        else:
            held = asyncio.get_running_loop().create_future()
            self._held.append(held)
            try:
                await held  # ``_wake`` counted this fetch
            except asyncio.CancelledError:
                if held.done() and not held.cancelled():  # woken as it was cancelled
                    self._ended()
                raise
        try:
            yield
        finally:
            self._ended()

    @asynccontextmanager
    async def slot(self, slots: asyncio.Semaphore) -> AsyncIterator[None]:
        """Hold one of ``slots`` (``[fetch] bodies_in_flight``), counted as waiting until
        then: the body has been fetched."""
        self.waiting += 1
        try:
            await slots.acquire()
        finally:
            self.waiting -= 1
            self._wake()
        try:
            yield
        finally:
            slots.release()

    def _ended(self) -> None:
        self.fetching -= 1
        # Once the poll has run on: a fetch that brought a body counts it as waiting first.
        asyncio.get_running_loop().call_soon(self._wake)

    def _room(self) -> int:
        bodies, fetches = self._most
        return min(bodies - self.waiting, bodies + fetches - self.waiting - self.fetching)

    def _wake(self) -> None:
        """Let as many held-back polls fetch as there is room for, first held first."""
        while self._held and self._room() > 0:
            held = self._held.popleft()
            if not held.done():
                held.set_result(None)
                self.fetching += 1
