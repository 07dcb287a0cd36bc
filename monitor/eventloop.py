"""The event loop the pipeline's commands run on: uvloop's (libuv, in C) when it is installed,
else asyncio's own.

The poll path wakes the loop for every fetch, every parse handed back by the parse thread and
every trip to the database thread; asyncio's selector loop spends a good part of the event
loop's time outside the stages on those wake-ups (its select, its self-pipe, its handles in
Python). Only ``monitor run`` and ``monitor once`` use it, through ``asyncio.Runner``'s
``loop_factory``: no event-loop policy is set, and tests, replay and the demo keep asyncio's.

Name lookups stay where asyncio does them, in the loop's default executor: uvloop would run
them in libuv's thread pool (4 threads, at most 2 of them on lookups at once), where two feeds
whose name servers do not answer hold back every other connection (feeds, Telegram, mail)
until the resolver gives up.
"""

from __future__ import annotations

import asyncio
import functools
import socket
from typing import Any


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A new event loop: uvloop's where it is installed (a dependency, missing only where it
    has no wheel, such as Windows), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()

    class Loop(uvloop.Loop):
        async def getaddrinfo(
            self,
            host: Any,
            port: Any,
            *,
            family: int = 0,
            type: int = 0,
            proto: int = 0,
            flags: int = 0,
        ) -> Any:
            lookup = functools.partial(socket.getaddrinfo, host, port, family, type, proto, flags)
            return await self.run_in_executor(None, lookup)

    return Loop()
