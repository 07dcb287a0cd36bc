"""What a failed SMTP session says to the user: what failed, with which server, what to check.

aiosmtplib's exceptions are named for its internals (``SMTPConnectError: Error connecting to
h on port 587: [SSL: WRONG_VERSION_NUMBER] ...``); the user acts on the fact under them: the
name did not resolve, the port refused, the port speaks TLS and the config says starttls.
Only the SMTP reply codes (RFC 5321 §4.2.1) decide retry or give up: that stays in ``email``.
"""

from __future__ import annotations

import socket
import ssl

import aiosmtplib

from monitor.channels.config import EmailChannelConfig
from monitor.errors import ChannelError

# Where each security mode usually listens (RFC 8314 §3.3: 465 for implicit TLS; RFC 6409:
# 587 for submission with STARTTLS).
_PORTS = "tls is usually port 465, starttls 587"


def session_failure(
    where: str, exc: aiosmtplib.SMTPException, c: EmailChannelConfig
) -> ChannelError:
    """``exc`` (no reply code of the server's behind it) as one sentence, retried unless
    only the config can fix it."""
    if isinstance(exc, aiosmtplib.SMTPTimeoutError):
        return ChannelError(
            f"{where}: no answer from the server within {c.timeout:g}s; check host, port "
            f"and security ({_PORTS})"
        )
    if isinstance(exc, aiosmtplib.SMTPConnectError):
        return ChannelError(f"{where}: {connect_failure(exc.__cause__, c)}")
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
        return ChannelError(
            f"{where}: the server closed the connection; check port and security ({_PORTS})"
        )
    text = exc.message if isinstance(exc.message, str) else str(exc)
    if "STARTTLS extension not supported" in text:
        return ChannelError(
            f"{where}: configuration problem: the server does not offer STARTTLS; check "
            f'security ("tls" for a port that starts with TLS, "none" for one without)',
            config=True,
        )
    if "AUTH extension is not supported" in text:
        return ChannelError(
            f"{where}: configuration problem: the server offers no login on this connection; "
            'check security (most servers take a login only after "starttls" or over "tls") '
            "and username",
            config=True,
        )
    return ChannelError(f"{where}: the SMTP session failed ({_first_line(text)})")


def connect_failure(cause: BaseException | None, c: EmailChannelConfig) -> str:
    """Why the connection (or its TLS) could not be made, naming the server."""
    server = f"{c.host}:{c.port}"
    if isinstance(cause, socket.gaierror):
        return f"cannot resolve host {c.host} ({_why(cause)}); check host"
    if isinstance(cause, ssl.SSLCertVerificationError):
        detail = cause.verify_message or _why(cause)
        return f"the TLS certificate of {c.host} is not valid ({detail}); check host and ca_file"
    if isinstance(cause, ssl.SSLError):
        return (
            f"the TLS handshake with {server} failed ({_why(cause)}); check security and port "
            f"({_PORTS})"
        )
    if isinstance(cause, ConnectionRefusedError):
        return f"cannot connect to {server} (connection refused); check host and port"
    if isinstance(cause, OSError):
        return f"cannot connect to {server} ({_why(cause)}); check host and port"
    return f"cannot connect to {server}; check host and port"


def _why(error: BaseException) -> str:
    if isinstance(error, ssl.SSLError) and error.reason:
        return error.reason.replace("_", " ").lower()
    text = getattr(error, "strerror", None) or str(error).strip() or error.__class__.__name__
    return _first_line(text[:1].lower() + text[1:])


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:200] if text.strip() else "no detail"
