"""Progress on long work (the first poll of many feeds, a replay): a line at most every few
seconds on stderr, so a user watching a terminal or a journal sees it move."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, what: str, total: int, *, every: float = 2.0, stream: TextIO | None = None):
        self.what = what
        self.total = total
        self.done = 0
        self.counts: dict[str, int] = {}
        self.every = every
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self._last = 0.0

    def step(self, **counts: int) -> None:
        self.done += 1
        for key, value in counts.items():
            self.counts[key] = self.counts.get(key, 0) + value
        now = time.monotonic()
        if now - self._last >= self.every or self.done == self.total:
            self._last = now
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def line(self) -> str:
        elapsed = time.monotonic() - self.started
        pct = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        extra = ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in self.counts.items())
        return f"{self.what}: {self.done:,}/{self.total:,}{pct} in {elapsed:.1f}s" + (
            f"; {extra}" if extra else ""
        )
