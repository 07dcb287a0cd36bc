"""Building blocks shared by every section of the config: strict models and durations.

Each stage owns the model of its own config section (``monitor/dedup/config.py`` ...);
``monitor/config.py`` composes them into the whole file.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

import yarl
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    ValidationInfo,
)

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_duration(value: object) -> float:
    """Parse ``"90s"``, ``"10m"``, ``"72h"``, ``"7d"`` into seconds.

    A bare number is seconds, for code that builds a section itself; a config file must say
    its unit (``written_duration``).
    """
    if isinstance(value, bool):
        raise ValueError(f'expected a duration such as "90s", "10m" or "72h", got {value!r}')
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"a duration cannot be negative, got {value!r}")
        return float(value)
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
    raise ValueError(f'expected a duration such as "90s", "10m" or "72h", got {value!r}')


# model_validate(..., context=WRITTEN): the values come from a file a person wrote.
WRITTEN = {"written": True}


def written_duration(value: object, info: ValidationInfo) -> float:
    """A duration from the config file: a bare number other than 0 is refused, since
    ``retention = 30`` (meant as days) would silently be 30 seconds."""
    written = bool(info.context and info.context.get("written"))
    if written and isinstance(value, int | float) and not isinstance(value, bool) and value:
        n = f"{value:g}"
        raise ValueError(
            f'write durations as strings with a unit ("{n}s", "{n}m", "{n}h" or "{n}d"),'
            f" not a bare {n}"
        )
    return parse_duration(value)


def format_duration(seconds: float) -> str:
    """The shortest exact spelling of a duration, for output and round trips."""
    for unit in ("w", "d", "h", "m", "s"):
        size = _UNIT_SECONDS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def check_http_url(value: str) -> str:
    """An http:// or https:// URL with a host (a feed, a webhook)."""
    if not re.match(r"^https?://[^\s/]+", value, re.IGNORECASE):
        raise ValueError(f"expected an http:// or https:// URL, got {value!r}")
    try:
        yarl.URL(value)  # what the fetcher will make of it: a port out of range, a broken host
    except ValueError as exc:
        raise ValueError(f"not a valid URL ({exc}): {value!r}") from None
    return value


def check_host_port(value: str) -> str:
    """``HOST:PORT`` to listen on (``[::1]:9100``; an empty host is 127.0.0.1)."""
    host, colon, port = value.rpartition(":")
    if not colon or not port.isdigit() or int(port) > 65535:
        raise ValueError(f'expected HOST:PORT such as "127.0.0.1:9100", got {value!r}')
    if host.startswith("[") != host.endswith("]"):
        raise ValueError(
            f'expected HOST:PORT, an IPv6 host in brackets ("[::1]:9100"), got {value!r}'
        )
    return value


Severity = Literal["low", "normal", "high", "urgent"]
"""How much an alert matters: a rule gives it, a channel's quiet hours let the top ones through."""

HostPort = Annotated[str, AfterValidator(check_host_port)]
"""An address to listen on: ``"127.0.0.1:9100"``."""

HttpUrl = Annotated[str, AfterValidator(check_http_url)]
"""A URL the daemon will fetch or post to: http:// or https:// with a host."""

Duration = Annotated[
    float,
    BeforeValidator(written_duration),
    PlainSerializer(format_duration, return_type=str),
]
"""A duration in seconds, written in the config as ``"90s"``, ``"10m"``, ``"72h"``."""


class StrictModel(BaseModel):
    """A config section: unknown keys are errors, so a typo is never silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)
