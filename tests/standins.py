"""Stand-in servers on 127.0.0.1 (port 0) for the channels: Telegram Bot API, SMTP, webhook.

Each speaks the real protocol, records what it received and can misbehave on request, so
the channel code is tested over real sockets and nothing of our own network code is mocked.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiohttp import web
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

BOT_TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
CHAT_ID = "-1001234567890"

Reply = tuple[int, dict[str, Any]]  # HTTP status, JSON body


def tg_error(code: int, description: str, **parameters: Any) -> Reply:
    """A Bot API error object (https://core.telegram.org/bots/api#making-requests)."""
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters  # ResponseParameters
    return code, body


@dataclass
class TelegramStandIn:
    """A Bot API server: ``sendMessage``, ``editMessageText`` and ``getMe`` for one token.

    ``script`` is a queue of replies given before normal service (e.g. 429s); ``known_chats``
    are the chats that exist (others get 400 "chat not found"); ``messages`` is the chat as
    the user sees it (message_id -> text, edits applied): a message the user deleted is gone
    from it (``delete``), and the bot may not edit those in ``uneditable`` (too old, or not
    the bot's own).
    """

    token: str = BOT_TOKEN
    known_chats: set[str] = field(default_factory=lambda: {CHAT_ID})
    script: list[Reply] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    edits: list[dict[str, Any]] = field(default_factory=list)
    messages: dict[int, str] = field(default_factory=dict)
    uneditable: set[int] = field(default_factory=set)
    calls: int = 0
    delay: float = 0.0  # seconds before each answer (a slow API)
    called: asyncio.Event = field(default_factory=asyncio.Event)  # set by the first request
    url: str = ""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        self.called.set()
        if request.match_info["token"] != self.token:
            return web.json_response(tg_error(401, "Unauthorized")[1], status=401)
        if request.content_type == "application/json":
            params = await request.json()
        else:
            params = dict(await request.post())
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.script:
            status, body = self.script.pop(0)
            return web.json_response(body, status=status)
        method = request.match_info["method"]
        handler = {
            "sendMessage": self._send,
            "editMessageText": self._edit,
            "getMe": self._get_me,
        }.get(method)
        if handler is None:
            return web.json_response(tg_error(404, "Not Found")[1], status=404)
        status, body = handler(params)
        return web.json_response(body, status=status)

    def _get_me(self, params: dict[str, Any]) -> Reply:
        return 200, {"ok": True, "result": {"id": 123456, "is_bot": True, "username": "t_bot"}}

    def _send(self, params: dict[str, Any]) -> Reply:
        chat = str(params.get("chat_id"))
        if chat not in self.known_chats:
            return tg_error(400, "Bad Request: chat not found")
        text = str(params.get("text", ""))
        if not text:
            return tg_error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return tg_error(400, "Bad Request: message is too long")
        message_id = next(self._ids)
        self.messages[message_id] = text
        self.sent.append({**params, "message_id": message_id})
        return 200, {
            "ok": True,
            "result": {"message_id": message_id, "chat": {"id": int(chat)}, "text": text},
        }

    def delete(self, message_id: int) -> None:
        """The user deletes a message from the chat."""
        del self.messages[message_id]

    def _edit(self, params: dict[str, Any]) -> Reply:
        message_id = int(params.get("message_id", 0))
        if message_id not in self.messages:
            return tg_error(400, "Bad Request: message to edit not found")
        if message_id in self.uneditable:
            return tg_error(400, "Bad Request: message can't be edited")
        text = str(params.get("text", ""))
        if self.messages[message_id] == text:
            return tg_error(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        self.messages[message_id] = text
        self.edits.append(params)
        return 200, {"ok": True, "result": {"message_id": message_id, "text": text}}


@asynccontextmanager
async def serve_app(app: web.Application, port: int = 0) -> AsyncIterator[str]:
    """Serve an aiohttp app on 127.0.0.1; yields its base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    server = site._server
    assert server is not None
    real_port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{real_port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def telegram_standin(port: int = 0, **kwargs: Any) -> AsyncIterator[TelegramStandIn]:
    standin = TelegramStandIn(**kwargs)
    async with serve_app(standin.app(), port) as url:
        standin.url = url
        yield standin


def free_port() -> int:
    """A port nothing listens on (for "the service is down")."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# --- SMTP -----------------------------------------------------------------------------------


@dataclass
class SMTPStandIn:
    """An aiosmtpd handler: accepts mail, or answers what ``script`` says first ("451 ...")."""

    script: list[str] = field(default_factory=list)
    received: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    attempts: int = 0
    logins: list[str] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.attempts += 1
        if self.script:
            return self.script.pop(0)
        content = envelope.original_content or envelope.content or b""
        assert isinstance(content, bytes)
        msg = message_from_bytes(content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.received.append(msg)
        self.envelopes.append((str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos]))
        return "250 OK queued"


def authenticator(username: str, password: str) -> Callable[..., AuthResult]:
    def check(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == username
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False)

    return check


@asynccontextmanager
async def smtp_standin(
    *, username: str | None = None, password: str | None = None
) -> AsyncIterator[SMTPStandIn]:
    """aiosmtpd's SMTP on the test's loop, port 0 (its Controller cannot use port 0)."""
    handler = SMTPStandIn()
    loop = asyncio.get_running_loop()
    kwargs: dict[str, Any] = {}
    if username is not None and password is not None:
        kwargs = {"authenticator": authenticator(username, password), "auth_require_tls": False}
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="standin.local", **kwargs), "127.0.0.1", 0
    )
    handler.port = server.sockets[0].getsockname()[1]
    try:
        yield handler
    finally:
        server.close()
        await server.wait_closed()


# --- webhook --------------------------------------------------------------------------------


@dataclass
class WebhookReceiver:
    """Records each POST (headers and raw body); ``script`` holds statuses to answer first."""

    script: list[int] = field(default_factory=list)
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    refused: list[tuple[dict[str, str], bytes]] = field(default_factory=list)  # by ``script``
    url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/hook/{secret_path}", self._handle)
        return app

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.script:
            self.refused.append((dict(request.headers), body))
            return web.Response(status=self.script.pop(0), headers={"Retry-After": "0"})
        self.requests.append((dict(request.headers), body))
        return web.json_response({"ok": True})

    def payloads(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.requests]


@asynccontextmanager
async def webhook_receiver() -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    async with serve_app(receiver.app()) as url:
        receiver.url = url + "/hook/s3cr3t-path"
        yield receiver


# --- stories in a store ---------------------------------------------------------------------


async def store_story(
    db: Any, *, title: str, outlets: list[str], now: float, url: str | None = None
) -> Any:
    """Write a story carried by ``outlets`` (one feed and one item each) as the pipeline
    would, and return its ``Story``. Call inside a transaction (``db``: a store's ``Db``)."""
    from datetime import UTC, datetime

    from monitor.models import Story

    story_id = await db.fetch_val(
        "INSERT INTO stories (title, first_seen, last_seen, outlets) VALUES (?, ?, ?, ?)"
        " RETURNING id",
        (title, now, now, 0),
    )
    await add_outlets(db, story_id, outlets, now=now, title=title)
    when = datetime.fromtimestamp(now, UTC)
    return Story(story_id, title, url, when, when, tuple(outlets))


async def add_outlets(
    db: Any, story_id: int, outlets: list[str], *, now: float, title: str = "headline"
) -> None:
    for name in outlets:
        url = f"https://{name.lower().replace(' ', '-')}.example/rss"
        await db.execute(
            "INSERT INTO feeds (url, title, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (url, name, now),
        )
        feed_id = await db.fetch_val("SELECT id FROM feeds WHERE url = ?", (url,))
        await db.execute(
            "INSERT INTO items (feed_id, key, title, summary, first_seen, story_id)"
            " VALUES (?, ?, ?, '', ?, ?)",
            (feed_id, f"{story_id}-{name}", f"{title} ({name})", now, story_id),
        )
    await db.execute(
        "UPDATE stories SET last_seen = ?, outlets = outlets + ? WHERE id = ?",
        (now, len(outlets), story_id),
    )
