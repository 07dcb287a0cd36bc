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

The default executor is shut down as asyncio shuts it down, not as uvloop does: uvloop's hands
the result back from its thread without asking whether the loop is still open, so a second
Ctrl-C while ``monitor run`` closes (the first stopped the daemon, the second ends the wait for
a lookup thread) closed the loop under that thread, which died with a traceback on stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A new event loop: uvloop's where it is installed (a dependency, missing only where it
    has no wheel, such as Windows), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()

    class Loop(uvloop.Loop):
        def __init__(self) -> None:
            super().__init__()
            # Ours, so that its shutdown is ours too (uvloop keeps its own out of reach).
            self._executor = ThreadPoolExecutor(thread_name_prefix="asyncio")
            self.set_default_executor(self._executor)

        # asyncio's signature: its Runner passes a timeout from Python 3.12 on.
        async def shutdown_default_executor(self, timeout: float | None = None) -> None:  # noqa: ASYNC109
            done = self.create_future()

            def settle() -> None:
                if not done.done():
                    done.set_result(None)

            def shut_down() -> None:
                self._executor.shutdown(wait=True)
                with contextlib.suppress(RuntimeError):  # the loop was closed first
                    self.call_soon_threadsafe(settle)

            thread = threading.Thread(target=shut_down, name="executor-shutdown")
            thread.start()
            try:
                async with asyncio.timeout(timeout):
                    await done
            except TimeoutError:  # as asyncio gives up on it (Python 3.12 waits 300 s)
                self._executor.shutdown(wait=False)
            else:
                thread.join()

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
