"""fetch.failures: one sentence for each way a connection fails, for feeds and channels alike.

aiohttp's own text ("Cannot connect to host h:80 ssl:default [Name or service not known]")
names its internals (the TLS mode, even on http) and hides the one fact a user acts on: the
name did not resolve, the port refused, the certificate is wrong.
"""

from __future__ import annotations

import errno

import aiohttp

# What a user can act on, for the errors a connect most often ends with; the others keep
# the system's own words.
_ERRNO_WORDS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.ETIMEDOUT: "timed out",
}


def connection_failure(exc: aiohttp.ClientConnectorError) -> str:
    """``exc`` as a sentence that names the host and what went wrong, nothing of aiohttp's."""
    host, port = exc.host, exc.port
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return f"cannot resolve host {host} ({_why(exc.os_error)})"
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        cert = exc.certificate_error
        detail = getattr(cert, "verify_message", None) or _why(cert)
        return f"the TLS certificate of {host} is not valid ({detail})"
    if isinstance(exc, aiohttp.ClientSSLError):
        return f"the TLS handshake with {host}:{port} failed ({_why(exc.os_error)})"
    return f"cannot connect to {host}:{port} ({_why(exc.os_error)})"


def _why(error: BaseException) -> str:
    code = getattr(error, "errno", None)
    if isinstance(code, int) and code in _ERRNO_WORDS:
        return _ERRNO_WORDS[code]
    text = getattr(error, "strerror", None) or str(error).strip() or error.__class__.__name__
    text = text.splitlines()[0][:200]
    return text[:1].lower() + text[1:]


def client_failure(exc: aiohttp.ClientError) -> str:
    """Any of aiohttp's request errors as a sentence; it quotes no URL, which for a channel
    may hold a secret (a bot token, a webhook's path)."""
    if isinstance(exc, aiohttp.ClientConnectorError):
        return connection_failure(exc)
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return "the server closed the connection mid-answer"
    if isinstance(exc, aiohttp.ClientOSError):
        if exc.errno == errno.ECONNRESET:
            return "the server reset the connection"
        return f"the connection failed ({_why(exc)})"
    return f"the request failed ({exc.__class__.__name__})"
