"""The HTTP listener the hubs call back: intent verification (GET) and content (POST).

Each subscription's callback is ``callback_url/<token>``: a reverse proxy may put any prefix
before it, so the token is the last path segment whatever comes first.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from monitor.errors import MonitorError

log = logging.getLogger("monitor.websub")

# (token, query) -> the challenge to echo, or None: we did not ask for this.
Verify = Callable[[str, Mapping[str, str]], Awaitable[str | None]]
# (token, request) -> the answer to a content distribution request.
Push = Callable[[str, web.Request], Awaitable[web.Response]]


class Listener:
    def __init__(self, address: str, verify: Verify, push: Push) -> None:
        host, _, port = address.rpartition(":")
        self.host = host.strip("[]") or "127.0.0.1"
        self.port = int(port)
        self._verify = verify
        self._push = push
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        """Start serving; return the port (the configured one, or the one given for 0)."""
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._get)
        app.router.add_post("/{tail:.*}", self._post)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            raise MonitorError(
                f"websub: cannot listen on {self.host}:{self.port} ({exc.strerror or exc});"
                " check [websub] listen"
            ) from None
        sockets = getattr(site._server, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])
        log.info("websub: listening for hubs on %s:%d", self.host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _get(self, request: web.Request) -> web.Response:
        # W3C WebSub 5.3.1: echo hub.challenge with a 2xx to confirm, 404 when we did not ask.
        challenge = await self._verify(_token(request), request.query)
        if challenge is None:
            return web.Response(status=404, text="no such subscription")
        return web.Response(status=200, text=challenge, content_type="text/plain")

    async def _post(self, request: web.Request) -> web.Response:
        return await self._push(_token(request), request)


def _token(request: web.Request) -> str:
    return request.path.rstrip("/").rpartition("/")[2]
