"""Short GUIDs are numbered per feed: two feeds' item "1" are different stories."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import make_config

from monitor.engine import Engine
from monitor.oneshot import poll_all
from monitor.store.stories import list_stories


def _json_feed(title: str, headline: str) -> tuple[bytes, str]:
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": title,
           "items": [{"id": "1", "title": headline, "content_text": "Details."}]}  # fmt: skip
    return json.dumps(doc).encode(), "application/feed+json"


def _rss_guid(title: str, headline: str) -> tuple[bytes, str]:
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
        f'<item><title>{headline}</title><guid isPermaLink="false">1</guid></item>'
        "</channel></rss>"
    )
    return body.encode(), "application/rss+xml"


# Both feeds in one folder of one host: a GUID taken for a relative link would be one URL.
@pytest.mark.parametrize("make", [_json_feed, _rss_guid], ids=["json", "rss"])
async def test_item_1_of_two_feeds_is_two_stories(
    feed_server: FeedServer, tmp_path: Path, make: Callable[[str, str], tuple[bytes, str]]
) -> None:
    headlines = {"/a.xml": "Harbour strike ends after talks", "/b.xml": "Museum reopens its doors"}
    for path, headline in headlines.items():
        body, content_type = make(path, headline)
        feed_server.feed(path, body, content_type=content_type)
    config = make_config(tmp_path, [feed_server.url(p) for p in headlines])
    engine = await Engine.open(config)
    try:
        outcomes = await poll_all(engine.rt, progress=False)
        assert [o.new_items for o in outcomes] == [1, 1]
        stories = await list_stories(engine.rt.store.db, None)
    finally:
        await engine.close()
    assert sorted(s["title"] for s in stories) == sorted(headlines.values())
