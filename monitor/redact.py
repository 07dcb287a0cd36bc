"""Secrets out of log lines: credentials in URLs, secret-looking query parameters, and every
value the config took from the environment (``${NAME}``).

A feed URL often carries a key (``?api_key=...``, ``https://user:pass@host/``), and a config
that reads it from the environment says it is secret; log lines name feeds by URL, and error
messages may quote one. The log formatters pass each line through ``redact``.
"""

from __future__ import annotations

import re

MASK = "***"
# Shorter values are not masked: "1" or "on" from the environment would blot out every line.
MIN_SECRET = 6

_secrets: set[str] = set()
_USERINFO = re.compile(r"(?<=://)[^/\s@?#]+@")
_PARAMETER = re.compile(
    r"(?i)(?<=[?&;])((?:[\w.-]*(?:token|key|secret|passw(?:or)?d|pwd|sig|signature|auth|"
    r"session|sid|credential)[\w.-]*)=)[^&#\s\"'<>]+"
)


def register(value: str) -> None:
    """Mask ``value`` wherever it appears in a log line from now on (process-wide)."""
    if len(value) >= MIN_SECRET:
        _secrets.add(value)


def redact(text: str) -> str:
    """``text`` with URL credentials, secret query parameters and registered secrets masked."""
    if "://" in text:
        text = _USERINFO.sub(MASK + "@", text)
    if "=" in text:
        text = _PARAMETER.sub(r"\1" + MASK, text)
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text
