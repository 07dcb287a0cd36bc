"""Logging: one line per event, plain or JSON, always naming the feed or channel involved."""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

from monitor.redact import logged_feed, redact

_CONTEXT = ("feed", "channel", "story", "rule", "alert")
# A control character in a log line (a feed title's ESC, BEL or NUL, a newline forging a
# second line) is written as its escape: the line shows it, the terminal does not obey it.
_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}
_ESCAPES_BUT_LINES = {c: e for c, e in _ESCAPES.items() if c != 0x0A}  # a traceback's lines


def escape(text: str) -> str:
    """``text`` with its control characters written as ``\\xNN``: one line, inert."""
    return text if text.isprintable() else text.translate(_ESCAPES)


def _context(record: logging.LogRecord, key: str) -> Any:
    """A line's ``key`` (its feed, channel...) as written: a feed whose URL shows masked with
    its number in the store (``redact.logged_feed``), so that two keyed feeds read apart."""
    value = getattr(record, key)
    return logged_feed(value) if key == "feed" and isinstance(value, str) else value


class PlainFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created))
        context = " ".join(
            f"{key}={escape(str(_context(record, key)))}"
            for key in _CONTEXT
            if getattr(record, key, None)
        )
        line = f"{when} {record.levelname:<7} {record.name.removeprefix('monitor.')}: "
        line += escape(record.getMessage()) + (f" [{context}]" if context else "")
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info).translate(_ESCAPES_BUT_LINES)
        return redact(line)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "stage": record.name.removeprefix("monitor."),
            "message": record.getMessage(),
        }
        for key in _CONTEXT:
            if getattr(record, key, None) is not None:
                data[key] = _context(record, key)
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        # JSON escapes C0 controls itself but writes DEL and C1 (a CSI is 0x9b) raw.
        return json.dumps(
            {k: redact(escape(v)) if isinstance(v, str) else v for k, v in data.items()},
            ensure_ascii=False,
        )


def setup(log_format: str = "plain", verbose: bool = False) -> None:
    """Send monitor's logs to stderr (stdout is for alerts and command output)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else PlainFormatter())
    root = logging.getLogger("monitor")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.propagate = False
    # APScheduler runs our housekeeping jobs: its warnings ("... skipped: maximum number of
    # running instances reached") are ours to show, in our format; its chatter ("Running
    # job ...") only when asked for.
    aps = logging.getLogger("apscheduler")
    aps.handlers[:] = [handler]
    aps.setLevel(logging.INFO if verbose else logging.WARNING)
    aps.propagate = False
