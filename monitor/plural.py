"""A count with its noun, singular where one: "1 item", "2 items", "1 story", "3 stories"."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``count`` with ``noun``, or with ``many`` (default ``noun + "s"``) unless it is one."""
    word = noun if count == 1 else (many or noun + "s")
    return f"{count:,} {word}"
