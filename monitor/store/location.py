"""What ``[monitor] database`` names: a SQLite file, or a PostgreSQL server's database."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(location: Path | str) -> bool:
    return isinstance(location, str) and location.startswith(_SCHEMES)


def sqlite_path(location: Path | str) -> Path:
    """The file of a SQLite location: a path, ``sqlite:PATH`` or ``sqlite:///ABSOLUTE``."""
    text = str(location)
    if text.startswith("sqlite://"):
        return Path(text.removeprefix("sqlite://"))
    if text.startswith("sqlite:"):
        return Path(text.removeprefix("sqlite:"))
    return Path(location)


def shown_url(url: str) -> str:
    """A PostgreSQL URL as messages show it: no password, no query (sslpassword, keys)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "postgresql://***"
    user = f"{parts.username}@" if parts.username else ""
    return urlunsplit((parts.scheme, f"{user}{host}{port}", parts.path, "", ""))
