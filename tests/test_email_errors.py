"""An email channel that cannot send says what failed, with which server and what to check, as
the other channels do: never aiosmtplib's class names or the socket's internals, never the
password."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from standins import free_port, smtp_standin

from monitor.cli import main

PASSWORD = "smtp-s3cret-pw"
Server = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.read()  # never greets


async def _hangs_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"220 mail.example.org ESMTP\r\n")
    await writer.drain()
    writer.close()


async def _speaks_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    await writer.drain()
    await reader.read()


@asynccontextmanager
async def _server(kind: str) -> AsyncIterator[int]:
    """A port where ``kind`` answers: a real SMTP server (aiosmtpd, without TLS), a
    misbehaving one, or nothing at all."""
    if kind == "closed":
        yield free_port()
        return
    if kind == "smtp":
        async with smtp_standin() as smtp:
            yield smtp.port
        return
    handlers: dict[str, Server] = {"silent": _silent, "hangs up": _hangs_up, "http": _speaks_http}
    server = await asyncio.start_server(handlers[kind], "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


CASES = [
    # (server, security, with a login, what the user reads after "email mail: 127.0.0.1:PORT: ")
    ("closed", "none", False, "cannot connect to 127.0.0.1:{port} (connection refused); check host and port"),
    ("silent", "none", False, "no answer from the server within 1s; check host, port and security"),
    ("smtp", "tls", False, "the TLS handshake with 127.0.0.1:{port} failed (wrong version number); check security and port"),
    ("smtp", "starttls", False, "configuration problem: the server does not offer STARTTLS; check security"),
    ("smtp", "none", True, "configuration problem: the server offers no login on this connection; check security"),
    ("hangs up", "none", False, "the server closed the connection; check port and security"),
    ("http", "none", False, "the server does not speak SMTP (HTTP/1.1 400 Bad Request); check host and port"),
]  # fmt: skip


@pytest.mark.parametrize(("server", "security", "login", "said"), CASES)
async def test_an_email_failure_names_the_server_and_what_to_check(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    server: str,
    security: str,
    login: bool,
    said: str,
) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    credentials = 'username = "alerts"\npassword = "${SMTP_PASSWORD}"\n' if login else ""
    async with _server(server) as port:
        config = tmp_path / "config.toml"
        config.write_text(f"""
[monitor]
database = "{tmp_path}/m.db"

[channels.mail]
type = "email"
host = "127.0.0.1"
port = {port}
security = "{security}"
sender = "alerts@example.org"
recipients = ["desk@example.org"]
timeout = "1s"
{credentials}""")
        code = await asyncio.to_thread(main, ["test-alert", "-c", str(config)])
    out = capsys.readouterr().out
    assert code == 1
    line = next(x for x in out.splitlines() if x.startswith("mail: FAILED: "))
    assert line.startswith(
        f"mail: FAILED: channel: email mail: 127.0.0.1:{port}: " + said.format(port=port)
    ), line
    for noise in ("SMTP", "Error", "Errno", "_ssl.c", "Connect call failed", PASSWORD):
        assert noise not in line.replace("speak SMTP", ""), line
