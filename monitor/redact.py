"""Secrets out of log lines and error messages: credentials in URLs, secret-looking query
parameters, and the secrets the config took from the environment (``${NAME}``).

A feed URL often carries a key (``?api_key=...``, ``https://user:pass@host/``), and a config
that reads a password, a token or a URL from the environment says it is secret; log lines
name feeds by URL, and error messages may quote one. The log formatters and the command
line's error output pass each line through ``redact``; what readers see (every channel's
message, ``monitor status`` and ``monitor stories``, JSON or not) goes through ``shown``.
"""

from __future__ import annotations

import re
from typing import Any

from monitor.normalize import remove_controls

MASK = "***"
# Shorter values are not masked: a two-letter value would blot out every line it occurs in.
MIN_SECRET = 4
# Query or fragment parameters whose value is a secret, by the words of their name
# ("api_key", "apiKey", "X-Amz-Signature", "access_token", "sid").
SECRET_WORDS = frozenset(
    {
        "token", "key", "apikey", "secret", "password", "passwd", "pass", "pwd", "pw",
        "sig", "signature", "auth", "session", "sessionid", "sid", "credential", "credentials",
    }
)  # fmt: skip

_secrets: list[str] = []  # longest first, so that no shorter one cuts a longer one
_USERINFO = re.compile(r"(?<=://)[^/\s?#]*@")  # to the last "@" of the authority
_PARAMETER = re.compile(r"(?<=[?&;#])([\w.~-]+)=([^&#\s\"'<>\]),]+)")
_NAME_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def register(value: str) -> None:
    """Mask ``value`` wherever it appears in a log line from now on (process-wide)."""
    if len(value) >= MIN_SECRET and value not in _secrets:
        _secrets.append(value)
        _secrets.sort(key=len, reverse=True)


def secret_parameter(name: str) -> bool:
    """Whether a query parameter of this name carries a secret: by its words, so that
    "api_key" and "apiKey" are secret but "author", "keywords" and "side" are not."""
    return any(word.lower() in SECRET_WORDS for word in _NAME_WORDS.findall(name))


def _mask_parameter(m: re.Match[str]) -> str:
    return f"{m.group(1)}={MASK}" if secret_parameter(m.group(1)) else m.group()


def redact(text: str) -> str:
    """``text`` with registered secrets, URL credentials and secret parameters masked."""
    for secret in _secrets:  # first: the patterns below could cut a secret and hide it
        if secret in text:
            text = text.replace(secret, MASK)
    if "://" in text:
        text = _USERINFO.sub(MASK + "@", text)
    if "=" in text:
        text = _PARAMETER.sub(_mask_parameter, text)
    return text


def shown(text: str) -> str:
    """``text`` as a reader may see it: secrets masked, control characters removed."""
    return remove_controls(redact(text))


def shown_data(data: Any) -> Any:
    """``shown`` applied to every string inside ``data`` (dicts, lists, tuples), keys too:
    a JSON document for a reader (``status --json``, ``stories --json``)."""
    if isinstance(data, str):
        return shown(data)
    if isinstance(data, dict):
        return {shown_data(k): shown_data(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [shown_data(v) for v in data]
    return data
