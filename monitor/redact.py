"""Secrets out of log lines and error messages: credentials in URLs, secret-looking query
parameters, and the secrets the config took from the environment (``${NAME}``).

A feed URL often carries a key (``?api_key=...``, ``https://user:pass@host/``), and a config
that reads a password, a token or a URL from the environment says it is secret; log lines
name feeds by URL, and error messages may quote one. A parameter is masked by its name (a
secret part such as ``token``, ``key`` or ``auth`` anywhere in it), a configured URL's
parameter also by its value (a long random-looking run); a whole URL from the environment
is shown as its variable, ``${NAME}``. The log formatters and the command line's error
output pass each line through ``redact``; what readers see (every channel's message,
``monitor status`` and ``monitor stories``, JSON or not) goes through ``shown``.
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
# ... and by a part anywhere in the name, lower case and without separators: a compound in
# one word ("accesstoken", "authcode", "privatekey", "passcode", "phpsessid") says it too.
# "code" (an OAuth or access code) and "private" cost least when wrong: a masked value in a
# line that still shows the feed's host, path and every other parameter.
SECRET_PARTS = (
    "token", "key", "secret", "pass", "pwd", "auth", "code", "jwt", "sig", "session",
    "sessid", "hash", "cred", "private", "bearer",
)  # fmt: skip
# Ordinary names that hold a secret part ("keywords", "author", "zipcode", "hashtag"): taken
# out of the name before the parts are looked for, so that their values stay readable.
ORDINARY_PARTS = (
    "keyword", "keynote", "author", "zipcode", "postcode", "postalcode", "countrycode",
    "langcode", "languagecode", "currencycode", "encod", "decod", "hashtag", "design",
    "assign", "credit",
)  # fmt: skip
# A configured URL's value that looks like a key whatever its name (Reddit's private
# "?feed=<40 hex>"), registered as a secret (``register_keys``): a run of letters and digits
# this long with two changes between them at least (so that "article1234567890" and
# "20240101report" stay readable), or a UUID.
SECRET_RUN = 16

_secrets: list[tuple[str, str]] = []  # (value, its mask), longest first: no cut of a longer one
_USERINFO = re.compile(r"(?<=://)[^/\s?#]*@")  # to the last "@" of the authority
_PARAMETER = re.compile(r"(?<=[?&;#])([\w.~-]+)=([^&#\s\"'<>\]),]+)")
_NAME_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_SEPARATORS = re.compile(r"[\W_]+")
_RUN = re.compile(rf"[A-Za-z0-9]{{{SECRET_RUN},}}")
_CHANGES = re.compile(r"(?=[A-Za-z][0-9]|[0-9][A-Za-z])")  # overlapping: each change
_HEX_ID = re.compile(r"[0-9A-Fa-f]{8}(?:-?[0-9A-Fa-f]{4}){3}-?[0-9A-Fa-f]{12}")


def register(value: str, name: str | None = None) -> None:
    """Mask ``value`` wherever it appears in a log line from now on (process-wide): by
    ``${name}`` if given (the variable a whole URL came from: the reader can tell which feed
    it is without seeing it), else by ``***``."""
    if len(value) >= MIN_SECRET and all(value != v for v, _ in _secrets):
        _secrets.append((value, f"${{{name}}}" if name else MASK))
        _secrets.sort(key=lambda s: len(s[0]), reverse=True)


def secret_parameter(name: str) -> bool:
    """Whether a query parameter of this name carries a secret: by its words ("api_key",
    "apiKey", "sid") or by a secret part anywhere ("accesstoken", "privatekey"), so that
    "author", "keywords" and "side" are not."""
    if any(word.lower() in SECRET_WORDS for word in _NAME_WORDS.findall(name)):
        return True
    joined = _SEPARATORS.sub("", name.lower())
    for ordinary in ORDINARY_PARTS:
        joined = joined.replace(ordinary, " ")
    return any(part in joined for part in SECRET_PARTS)


def secret_value(value: str) -> bool:
    """Whether a parameter's value looks like a key whatever its name: a long run mixing
    letters and digits (hex, base64url, a JWT's part) or a UUID; "123", "rss", "world" and
    "ukraine+talks" do not."""
    if len(value) < SECRET_RUN:
        return False
    if _HEX_ID.search(value):
        return True
    return any(len(_CHANGES.findall(run)) >= 2 for run in _RUN.findall(value))


def register_keys(url: str) -> None:
    """Register the values of ``url``'s parameters that look like keys (``secret_value``):
    a configured URL's, so that they are masked wherever they appear. Only there: in every
    text, the same rule would break an article's link in an alert (``?id=<hex>``)."""
    if "=" in url:
        for m in _PARAMETER.finditer(url):
            if secret_value(m.group(2)):
                register(m.group(2))


def _mask_parameter(m: re.Match[str]) -> str:
    return f"{m.group(1)}={MASK}" if secret_parameter(m.group(1)) else m.group()


def redact(text: str) -> str:
    """``text`` with registered secrets, URL credentials and secret parameters masked."""
    for secret, mask in _secrets:  # first: the patterns below could cut a secret and hide it
        if secret in text:
            text = text.replace(secret, mask)
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
