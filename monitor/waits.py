"""waits: timeouts that never drop a cancellation.

On Python 3.11, ``asyncio.wait_for`` returns normally when its task is cancelled just as
what it awaits completes: the cancellation is lost (fixed in 3.12). A loop that waits for an
event that way, in a task being stopped, then runs on, and the shutdown awaiting it never
ends (a node that another node's NOTIFY woke as SIGTERM arrived). ``asyncio.timeout`` keeps
the cancellation, so the package uses it, and ruff bans ``wait_for`` (TID251).
"""

from __future__ import annotations

import asyncio


async def wait_event(event: asyncio.Event, seconds: float | None) -> bool:
    """Until ``event`` is set (True) or ``seconds`` have passed (False); ``None``
    waits as long as it takes."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
