"""The ingest bench's feeds, made of real news text from ../shared/data.

Headlines: the UCI News Aggregator slice (6,366 headlines of 10-12 March 2014, each with its
real publisher, its host and a STORY label) in time order, then both sides of the STS pairs
(European Media Monitor headlines). A summary is made of other headlines of the same story (UCI
STORY label; for STS, the pair's other side, then the headlines after it) up to about 300
characters: real text, as long as a feed's description usually is. There are fewer real
headlines than items at 1,000 feeds x 50, so a headline comes back in several feeds, as one
wire story does across outlets; each copy has its own link and GUID.
"""

from __future__ import annotations

import csv
import html
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SUMMARY_CHARS = 300


@dataclass(frozen=True, slots=True)
class Headline:
    title: str
    publisher: str
    host: str
    summary: str
    published: datetime


def real_headlines() -> list[Headline]:
    """Every real headline in order, each with its publisher, host and a summary."""
    uci = DATA / "uci-news-2014-03" / "uci-news-aggregator_2014-03-10_12_slice.csv"
    if not uci.exists():
        raise SystemExit(f"bench: the shared data is not there ({uci}); see ../shared/data")
    with uci.open(encoding="utf-8", newline="") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: int(r["TIMESTAMP"]))
    by_story: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_story[row["STORY"]].append(row["TITLE"])
    out = []
    for row in rows:
        others = [t for t in by_story[row["STORY"]] if t != row["TITLE"]]
        out.append(
            Headline(
                title=row["TITLE"],
                publisher=row["PUBLISHER"],
                host=row["HOSTNAME"],
                summary=_summary(others),
                published=datetime.fromtimestamp(int(row["TIMESTAMP"]) / 1000, UTC),
            )
        )
    sts: list[str] = []
    for part in ("train", "dev", "test"):
        with (DATA / "sts-headlines" / f"{part}.tsv").open(encoding="utf-8") as f:
            next(f)
            for line in f:
                fields = line.rstrip("\n").split("\t")
                if len(fields) == 3:
                    sts += fields[1:]
    start = datetime(2015, 6, 1, tzinfo=UTC)
    for n, title in enumerate(sts):
        partner = sts[n ^ 1] if n ^ 1 < len(sts) else ""
        out.append(
            Headline(
                title=title,
                publisher="European Media Monitor",
                host="emm.newsbrief.eu",
                summary=_summary([partner, *sts[n + 2 : n + 8]]),
                published=start + timedelta(minutes=n),
            )
        )
    # Filler for summaries of stories with one headline: the headlines that follow it.
    titles = [h.title for h in out]
    return [
        h
        if len(h.summary) >= SUMMARY_CHARS // 2
        else Headline(
            h.title,
            h.publisher,
            h.host,
            _summary([h.summary, *titles[i + 1 : i + 8]]),
            h.published,
        )
        for i, h in enumerate(out)
    ]


def _summary(texts: list[str]) -> str:
    out = ""
    for text in texts:
        if not text:
            continue
        out = f"{out} {text}." if out else f"{text}."
        if len(out) >= SUMMARY_CHARS:
            break
    return out


def feed_body(i: int, items: int, pool: list[Headline], start: int = 0) -> bytes:
    """Feed ``i``: ``items`` consecutive headlines of the pool (wrapping), as RSS 2.0 from the
    publisher of its first headline, summaries as escaped HTML as most feeds send them.
    ``start``: the same feed ``start`` headlines later (the next ones of the pool added, as
    many of its oldest dropped; the items it keeps are written as they were)."""
    first = pool[(i * items) % len(pool)]
    entries = []
    for j in range(start, start + items):
        n = (i * items + j) % len(pool)
        h = pool[n]
        slug = "-".join(
            w for w in "".join(c if c.isalnum() else " " for c in h.title).lower().split()[:8]
        )
        url = f"https://{first.host}/news/{i}/{j}/{slug}"
        entries.append(
            f"<item><title>{html.escape(h.title, quote=False)}</title>"
            f"<link>{url}?utm_source=rss&amp;utm_medium=feed</link>"
            f'<guid isPermaLink="true">{url}</guid>'
            f"<description>{html.escape('<p>' + html.escape(h.summary) + '</p>')}</description>"
            f"<pubDate>{format_datetime(h.published, usegmt=True)}</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{html.escape(first.publisher)}</title><link>https://{first.host}/</link>"
        f"<description>News from {html.escape(first.publisher)}</description>"
        f"{''.join(entries)}</channel></rss>"
    ).encode()


def news_of_any_age(text: str) -> str:
    """The config ``text`` with ``[monitor] max_age`` (and the retention it needs) long
    enough that the real headlines (2014, 2015) are news, as they were before the setting;
    unchanged for a monitor (a --baseline) from before it, which would refuse the key."""
    from monitor.config import MonitorSection

    if "max_age" not in MonitorSection.model_fields:
        return text
    return text.replace("[monitor]\n", '[monitor]\nmax_age = "36500d"\nretention = "36500d"\n', 1)
