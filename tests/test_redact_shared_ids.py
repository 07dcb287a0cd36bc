"""What path masking (fixredact20) did to what a user reads (review20b D1).

An id in a feed URL's path that looks like a key is often public and in its articles' links
too (a podcast feed "<host>/<show uuid>" whose episodes are "/shows/<show uuid>/episodes/...";
kill-the-newsletter's "/feeds/<id>.xml" and "/feeds/<id>/entries/..."): the alert's link must
still open, so a key from a feed URL's path is masked in log lines, status and health alerts
but not in an article's link; nor is "/wiki/Key:highway" (a "name:value" segment is masked in a
link only when its value looks like a key).
"""

from __future__ import annotations

import json
from pathlib import Path

from test_redaction_everywhere import monitor, readers, write_config
from test_redaction_everywhere import rss as plain_rss

SHOW = "0ecfdfd7-fda1-4c3d-9515-476727f9df5e"  # a podcast's public show id


async def test_article_links_sharing_an_id_with_the_feed_url_still_open(tmp_path: Path) -> None:
    routes: dict[str, bytes | int] = {"/broken.xml": 500}
    async with readers(routes) as r:
        episode = f"{r.feeds}/shows/{SHOW}/episodes/summit-recap-with-the-mayor"
        wiki = "https://wiki.openstreetmap.org/wiki/Key:highway"
        routes[f"/{SHOW}"] = plain_rss([("Podcast: what the Geneva summit means", episode)])
        routes["/osm.xml"] = plain_rss([("Mappers summit settles road tagging", wiki)])
        path = write_config(tmp_path, r, [f"{r.feeds}/{SHOW}", f"{r.feeds}/osm.xml"])
        code, _, log = await monitor("once", "-c", str(path))
        assert code == 0, log
        _, stories, _ = await monitor("stories", "--json", "-c", str(path))
        alerts = [json.loads(body)["alert"] for _, body in r.hook.requests]
        telegram = "\n".join(json.dumps(m) for m in r.tg.sent)
    links = {a["url"] for a in alerts}
    # 3fe46e3: ".../shows/***/episodes/..." and ".../wiki/Key:***", links that do not open.
    assert links == {episode, wiki}, links
    assert episode in telegram and wiki in telegram, telegram
    assert episode in stories and wiki in stories, stories
    # The feed's own URL is still masked where it is logged (a poll's debug line names it).
    _, _, debug = await monitor("once", "-v", "-c", str(path))
    assert f"/{SHOW}" not in debug and f"{r.feeds}/***" in debug, debug
