"""What a replay plays: a directory of feed files, or a UCI News Aggregator CSV.

The UCI format is ``ID,TITLE,URL,PUBLISHER,CATEGORY,STORY,HOSTNAME,TIMESTAMP`` (TIMESTAMP in
milliseconds since the epoch); its headlines are grouped into one feed per publisher.
Items keep their original URL and title.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from monitor.errors import InputError

UCI_COLUMNS = ["ID", "TITLE", "URL", "PUBLISHER", "CATEGORY", "STORY", "HOSTNAME", "TIMESTAMP"]
FEED_SUFFIXES = {".xml", ".rss", ".atom", ".rdf", ".json", ".feed"}


class ReplayError(InputError):
    stage = "replay"


@dataclass(frozen=True, slots=True)
class Record:
    """One headline of a recorded stream."""

    feed: str
    title: str
    url: str
    guid: str
    summary: str
    published: float  # UNIX seconds
    label: str = ""  # the source's own story label, when it has one (UCI STORY)


@dataclass(frozen=True, slots=True)
class FeedFile:
    name: str
    body: bytes


def read_uci(path: Path) -> list[Record]:
    """Every row of a UCI News Aggregator CSV, in time order; one clear error for a bad file."""
    records: list[Record] = []
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None or [h.strip().upper() for h in header[:8]] != UCI_COLUMNS:
                raise ReplayError(
                    f"{path}: not a UCI News Aggregator CSV (expected the columns "
                    f"{','.join(UCI_COLUMNS)})"
                )
            for line, row in enumerate(reader, start=2):
                if not row:
                    continue
                if len(row) < 8:
                    raise ReplayError(f"{path}:{line}: expected 8 columns, found {len(row)}")
                try:
                    published = int(row[7]) / 1000.0
                except ValueError:
                    raise ReplayError(
                        f"{path}:{line}: TIMESTAMP {row[7]!r} is not milliseconds since 1970"
                    ) from None
                records.append(
                    Record(
                        feed=row[3].strip() or row[6].strip() or "unknown",
                        title=row[1],
                        url=row[2],
                        guid=f"uci:{row[0]}",
                        summary="",
                        published=published,
                        label=row[5],
                    )
                )
    except OSError as exc:
        raise ReplayError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ReplayError(f"{path}: not a readable CSV ({exc})") from None
    records.sort(key=lambda r: r.published)
    return records


def records_from_directory(path: Path) -> list[Record]:
    """The entries of every feed file in a directory, as records in time order.

    Entries without a date count as published at the start of the replay.
    """
    from monitor.errors import ParseError
    from monitor.parse import parse_feed

    records: list[Record] = []
    for feed_file in read_directory(path):
        try:
            parsed = parse_feed(feed_file.body, url=f"file:///{feed_file.name}")
        except ParseError as exc:
            raise ReplayError(f"{path / feed_file.name}: {exc}") from None
        name = parsed.title or feed_file.name
        for item in parsed.entries:
            records.append(
                Record(
                    feed=name,
                    title=item.title,
                    url=item.url or "",
                    guid=item.guid or item.key,
                    summary=item.summary,
                    published=item.published.timestamp() if item.published else 0.0,
                )
            )
    if not records:
        raise ReplayError(f"{path}: the feed files hold no entries")
    start = min((r.published for r in records if r.published), default=0.0)
    records = [r if r.published else _at(r, start) for r in records]
    records.sort(key=lambda r: r.published)
    return records


def _at(record: Record, when: float) -> Record:
    from dataclasses import replace

    return replace(record, published=when)


def read_directory(path: Path) -> list[FeedFile]:
    """Every feed file in a directory (by suffix), in name order."""
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in FEED_SUFFIXES)
    if not files:
        raise ReplayError(
            f"{path}: no feed files (expected files ending in {', '.join(sorted(FEED_SUFFIXES))})"
        )
    return [FeedFile(p.stem, p.read_bytes()) for p in files]
