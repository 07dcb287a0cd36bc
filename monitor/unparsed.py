"""The fetched bodies that wait for a body slot, and the polls held back from fetching more.

Fetching outruns parsing and storing at a cold start: with up to four times
``[fetch] concurrency`` polls at once and ``[fetch] bodies_in_flight`` slots, most polls
used to wait with a fetched body, a block each, for the whole cycle. A poll that expects a
body (its feed gave no validators, so no 304 can come) now starts its fetch only while
fewer bodies wait than there are slots. Only bodies already fetched count: a slow server
holds nobody back, so over a real network, where fetching is the slower part, the gate
stays open and fetches run at full concurrency; conditional GETs are never held back.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Unparsed:
    """Counts the bodies waiting for a slot; wakes held-back polls as slots take them."""

    def __init__(self) -> None:
        self.waiting = 0  # bodies fetched, waiting for a body slot
        self._held: deque[asyncio.Future[None]] = deque()
        self._most = 1

    async def room(self, most: int) -> None:
        """Return once fewer than ``most`` bodies wait: before a fetch expected to bring one."""
        self._most = most
        if self.waiting < most:
            return
        held = asyncio.get_running_loop().create_future()
        self._held.append(held)
        try:
            await held
        except asyncio.CancelledError:
            if held.done() and not held.cancelled():  # woken as it was cancelled: pass it on
                self._wake()
            raise

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

    def _wake(self) -> None:
        """Let as many held-back polls fetch as there is room for: one body taken by a
        slot lets one more fetch, and a body fetched slowly holds no one back."""
        room = self._most - self.waiting
        while room > 0 and self._held:
            held = self._held.popleft()
            if not held.done():
                held.set_result(None)
                room -= 1
