"""Our reading of the usual date forms against feedparser's own date reader: every date string of
the shared corpus (and a table of the forms feeds write, odd ones included) gives the same
instant, or is left to feedparser; and feedparser is loaded only when a feed needs it."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from conftest import REPO, SHARED_DATA
from feedparser.datetimes import _parse_date

from monitor.parse.dates import date, usual_date
from monitor.parse.item import struct_to_dt

NOW = datetime(2026, 1, 1, tzinfo=UTC)
DATE_ELEMENT = re.compile(
    rb"<((?:[\w-]+:)?(?:pubDate|published|updated|date|issued|modified|created|lastBuildDate"
    rb"|expirationDate|valid|dateCopyrighted))\b[^>]*>([^<]{1,100})</\1>"
)
# The forms feeds write, and the odd values where feedparser's readers differ from each other.
WRITTEN = [
    "Wed, 05 Nov 2025 10:00:00 GMT",
    "Wed, 05 Nov 2025 10:00:00 +0000",
    "Wed, 05 Nov 2025 10:00:00 -0000",
    "Wed, 5 Nov 2025 10:00:00 +0530",
    "5 Nov 2025 10:00:00 -0800",
    "Wed, 05 Nov 2025 10:00 GMT",
    "Wed, 05 Nov 2025 10:00:00 UT",
    "Wed, 05 Nov 2025 10:00:00 UTC",
    "Wed, 05 Nov 2025 10:00:00 Z",
    "Wed, 05 Nov 2025 23:30:00 EST",
    "Wed, 05 Nov 2025 23:30:00 EDT",
    "Wed, 05 Nov 2025 23:30:00 PST",
    "Wed, 05 Nov 2025 23:30:00 CET",
    "Wed, 05 Nov 2025 23:30:00 MEST",
    "Wed, 05 NOV 2025 10:00:00 GMT",
    "Wed, 05 November 2025 10:00:00 GMT",
    "Wed 05 Nov 2025 10:00:00 GMT",
    "Wed, 05 Nov 25 10:00:00 GMT",
    "Wed, 31 Feb 2025 10:00:00 GMT",
    "Wed, 05 Nov 2025 24:00:00 GMT",
    "Wed, 05 Nov 2025 10:60:00 GMT",
    "Wed, 05 Nov 2025 10:00:60 GMT",
    "Wed, 05 Nov 1899 10:00:00 GMT",
    "Wed, 05 Nov 2025 10:00:00 +0099",
    "2025-11-05T10:00:00Z",
    "2025-11-05T10:00:00.123456Z",
    "2025-11-05T10:00:00+05:30",
    "2025-11-05T10:00:00-08:00",
    "2025-11-05T10:00Z",
    "2025-11-05T10:00:00",
    "2025-11-05",
    "2025-11-05t10:00:00z",
    "2025-11-05 10:00:00",
    "2025-11-05T10:00:00+0530",
    "2025-02-30T10:00:00Z",
    "2025-11-05T24:00:00Z",
    "1899-11-05T10:00:00Z",
    "20251105T100000Z",
    "2025-W45",
    "Sun Jan  4 16:29:06 PST 2004",
    "not a date",
]


def corpus_dates() -> list[str]:
    found: set[str] = set()
    for folder in ("feedparser-tests", "real-feeds"):
        for path in (SHARED_DATA / folder).rglob("*"):
            if path.is_file() and path.suffix != ".txt":
                for m in DATE_ELEMENT.finditer(path.read_bytes()):
                    found.add(m.group(2).decode("utf-8", "replace").strip())
    return sorted(found)


def feedparsers(value: str) -> datetime | None:
    parsed = _parse_date(value)
    return datetime(*parsed[:6], tzinfo=UTC) if parsed else None


@pytest.mark.parametrize("source", ["corpus", "written"])
def test_the_dates_we_read_are_the_dates_feedparser_reads(source: str) -> None:
    values = corpus_dates() if source == "corpus" else WRITTEN
    if not values:
        pytest.skip("shared data not available")
    ours = {v: usual_date(v) for v in values}
    differ = [(v, d, feedparsers(v)) for v, d in ours.items() if d is not None and d != feedparsers(v)]
    assert differ == []
    # Every answer, ours or feedparser's, is what feedparser gives.
    assert [date(v, NOW) for v in values] == [struct_to_dt(_parse_date(v), NOW) for v in values]
    accepted = sum(d is not None for d in ours.values())
    print(f"{source}: {accepted} of {len(values)} date strings read here, the rest by feedparser")
    if source == "corpus":
        assert accepted > 0.9 * len(values)  # the usual forms are nearly all of them


# A fresh interpreter parses the feeds, then says whether feedparser was loaded.
LOADED = """
import sys
from datetime import UTC, datetime
from monitor.parse import parse_feed
for path in sys.argv[1:]:
    feed = parse_feed(open(path, "rb").read(), {"content-type": "application/xml"},
                      url="http://example.org/feed", now=datetime(2026, 1, 1, tzinfo=UTC))
    assert feed.entries
print("feedparser" in sys.modules)
"""


@pytest.mark.parametrize(
    ("files", "loaded"),
    [
        (["real-feeds/guardian.rss", "real-feeds/heise.atom"], False),  # the fast path's
        (["real-feeds/uolNoticias.rss"], True),  # Latin-1: feedparser reads it
    ],
)
def test_feedparser_is_loaded_only_for_a_feed_that_needs_it(files: list[str], loaded: bool) -> None:
    paths = [SHARED_DATA / f for f in files]
    if not all(p.exists() for p in paths):
        pytest.skip("shared data not available")
    out = subprocess.run(
        [sys.executable, "-c", LOADED, *map(str, paths)],
        capture_output=True, text=True, check=True, cwd=REPO,
    )  # fmt: skip
    assert out.stdout.strip() == str(loaded)
