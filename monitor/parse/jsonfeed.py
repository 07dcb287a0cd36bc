"""parse.jsonfeed: JSON Feed 1.0/1.1, which feedparser 6 does not read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from monitor.errors import ParseError
from monitor.models import Item, ParsedFeed
from monitor.normalize import clean_text
from monitor.parse.item import FUTURE_SLACK, make_item


def looks_like_json(body: bytes, content_type: str) -> bool:
    if "json" in content_type.lower():
        return True
    return body.lstrip()[:1] == b"{"


def parse_json_feed(body: bytes, url: str, now: datetime) -> ParsedFeed:
    """JSON Feed 1.0/1.1 (https://www.jsonfeed.org/version/1.1/)."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"the body is not a feed (not valid JSON: {exc.__class__.__name__})") from None
    if not isinstance(doc, dict) or "jsonfeed.org" not in str(doc.get("version", "")):
        raise ParseError("the body is JSON but not a JSON Feed (no jsonfeed.org version)")
    raw_items = doc.get("items")
    if not isinstance(raw_items, list):
        raise ParseError("the JSON Feed has no items list")
    items: list[Item] = []
    for raw in raw_items:
        if not isinstance(raw, dict):
            continue
        title = clean_text(_str(raw.get("title")))
        summary = clean_text(
            _str(raw.get("summary"))
            or _str(raw.get("content_text"))
            or _str(raw.get("content_html"))
        )
        link = _str(raw.get("url")) or _str(raw.get("external_url")) or None
        published = _iso_to_dt(
            _str(raw.get("date_published")) or _str(raw.get("date_modified")), now
        )
        item = make_item(
            title=title,
            summary=summary,
            link=link,
            guid=_str(raw.get("id")) or None,
            published=published,
            base=url,
            now=now,
        )
        if item is not None:
            items.append(item)
    return ParsedFeed(
        title=clean_text(_str(doc.get("title"))),
        link=_str(doc.get("home_page_url")) or None,
        ttl_seconds=None,
        entries=items,
        hubs=_hubs(doc.get("hubs")),
        self_url=_str(doc.get("feed_url")) or None,
    )


def _hubs(value: Any) -> tuple[str, ...]:
    """The WebSub hubs of ``"hubs": [{"type": "WebSub", "url": ...}]`` (JSON Feed 1.1)."""
    if not isinstance(value, list):
        return ()
    return tuple(
        dict.fromkeys(
            hub["url"]
            for hub in value
            if isinstance(hub, dict)
            and str(hub.get("type", "")).lower() == "websub"
            and isinstance(hub.get("url"), str)
        )
    )


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ("" if value is None else str(value))


def _iso_to_dt(value: str, now: datetime) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    dt = dt.astimezone(UTC)
    return None if dt > now + FUTURE_SLACK else dt
