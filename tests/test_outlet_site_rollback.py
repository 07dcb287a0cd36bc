"""A poll that first names its feed's site (store.outlets.name_site) and then fails rolls
back in the store and in memory alike: the feed's state forgets the site too, so the next
poll names it again and the feed's earlier item joins its site's outlet. Had the state kept
the site, that poll would see nothing to name and the story would count Reuters twice ("from
2 outlets": the feed's own row and the site Google credits) for good."""

from __future__ import annotations

from pathlib import Path

from feedserver import FeedServer
from helpers import make_config
from test_outlet_by_site import GOOGLE, HEAD, feed

from monitor.engine import Engine
from monitor.pipeline import refresh_feed


def reuters(link: str, later: bool = False) -> bytes:
    """Reuters' own feed: the story's item, then (``later``) a second item on another topic."""
    element = f"<link>{link}</link>" if link else "<link/>"
    items = [(HEAD, "urn:r1")] + ([("Central bank holds rates steady", "urn:r2")] if later else [])
    body = "".join(
        f"<item><title>{title}</title><link>https://example.org/{guid[-2:]}</link>"
        f"<guid>{guid}</guid><pubDate>Fri, 05 Sep 2025 14:03:00 GMT</pubDate></item>"
        for title, guid in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Reuters World News</title>{element}{body}</channel></rss>"
    ).encode()


async def test_a_failed_poll_that_named_the_site_names_it_again(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.feed("/r", reuters(""))
    feed_server.feed("/gnews", feed(GOOGLE, [("Reuters", "https://www.reuters.com")]))
    config = make_config(tmp_path, [feed_server.url("/r"), feed_server.url("/gnews")])
    own, google = config.feeds
    engine = await Engine.open(config)
    try:
        db = engine.store.db.raw
        for source in (own, google):
            assert (await refresh_feed(engine.rt, source)).result == "new"

        async def outlets() -> list[int]:
            async with db.execute("SELECT outlets FROM stories ORDER BY id") as cur:
                return [row[0] for row in await cur.fetchall()]

        assert await outlets() == [2]  # the feed names no site yet: two outlets, as before

        feed_server.feed("/r", reuters("https://www.reuters.com/world/", later=True))
        await db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON items BEGIN"
            " SELECT RAISE(ABORT, 'disk trouble'); END"
        )
        failed = await refresh_feed(engine.rt, own)
        assert failed.result == "error" and "disk trouble" in (failed.error or "")
        assert engine.rt.states[own.url].site is None
        await db.execute("DROP TRIGGER refuse")

        ok = await refresh_feed(engine.rt, own)
        assert ok.result == "new" and ok.new_items == 1, ok.error
        assert engine.rt.states[own.url].site == "reuters.com"
        assert await outlets() == [1, 1]  # Reuters' story from one outlet, the new one too
    finally:
        await engine.close()
