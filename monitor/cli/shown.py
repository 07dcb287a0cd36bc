"""The stories and events the read-only views list, as an alert shows them: a headline
without an outlet's " - Reuters" tail (``dedup.outlet.shown_headline``, the alert's), an
article's link without its tracking parameters (``normalize.without_tracking``) and
the outlet's where Bing's click-through names it (``normalize.direct_link``), as the
alert's. explore20: the views showed Google News' tails and utm_* links the alerts drop."""

from __future__ import annotations

from typing import Any

from monitor.dedup.outlet import shown_headline
from monitor.normalize import direct_link, without_tracking


def as_alerts_show(story: dict[str, Any]) -> None:
    """``story`` (``store.stories.list_stories``' form) with its title and its items' titles
    and links as its alert shows them (an item's title and link as the feed wrote them kept
    in ``raw_title`` and ``raw_url``); the outlets' names are its items' feeds and sources."""
    names: list[str] = []
    for item in story["items"]:
        outlet_names = (item["feed"], item["source"])
        names.extend(n for n in outlet_names if n)
        # As the feed wrote it, too: what a script (or a test) matches the feed's items by.
        item["raw_title"] = item["title"]
        item["title"] = shown_headline(item["title"], outlet_names) or item["title"]
        item["raw_url"] = item["url"]  # as the feed wrote it (review20h: scripts join on it)
        if item["url"]:
            item["url"] = without_tracking(direct_link(item["url"]))
    story["title"] = shown_headline(story["title"], names) or story["title"]
