"""A big feed from real headlines: the UCI News Aggregator slice, repeated with fresh links.

One RSS 2.0 document of ``count`` items, newest first, each with a title, a link, a GUID and
a pubDate a minute apart; about 100 bytes an item, so 100,000 items make a 10 MB body.
"""

from __future__ import annotations

import csv
import html
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path


def headlines(csv_path: Path) -> list[str]:
    with csv_path.open(encoding="utf-8", newline="") as f:
        return [row["TITLE"] for row in csv.DictReader(f) if row["TITLE"].strip()]


def big_feed(titles: list[str], count: int, *, newest: datetime | None = None) -> bytes:
    """``count`` items, the first the newest; item ``i`` is a minute older than item ``i-1``."""
    newest = newest or datetime(2025, 11, 5, 12, 0, tzinfo=UTC)
    parts = [
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Big wire</title><link>http://example.org/</link>"
    ]
    for i in range(count):
        title = html.escape(titles[i % len(titles)], quote=False)
        when = format_datetime(newest - timedelta(minutes=i), usegmt=True)
        parts.append(
            f"<item><title>{title}</title><link>http://e.org/{i}</link>"
            f"<pubDate>{when}</pubDate></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()
