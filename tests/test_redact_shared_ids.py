"""What path masking (fixredact20) did to what a user reads (review20b D1, D2).

An id in a feed URL's path that looks like a key is often public and in its articles' links
too (a podcast feed "<host>/<show uuid>" whose episodes are "/shows/<show uuid>/episodes/...";
kill-the-newsletter's "/feeds/<id>.xml" and "/feeds/<id>/entries/..."): the alert's link must
still open, so a key from a feed URL's path is masked in log lines, status and health alerts
but not in an article's link; nor is "/wiki/Key:highway" (a "name:value" segment is masked in a
link only when its value looks like a key). Two feeds whose URLs read the same once masked
(two Omny podcasts of one network; any two feeds told apart by a path key) are told apart in
``monitor status``, the log and the health alerts by their number in the store, as /metrics
labels are.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path

from test_redaction_everywhere import monitor, readers, write_config
from test_redaction_everywhere import rss as plain_rss

from monitor import config as config_module
from monitor.feedhealth import check_feeds
from monitor.runtime import feed_name
from monitor.store import Store
from monitor.store import feeds as feed_store

SHOW = "0ecfdfd7-fda1-4c3d-9515-476727f9df5e"  # a podcast's public show id
ORG = "e73c998e-6e60-432f-8610-ae210140c5b1"  # an Omny network's
OMNY = [
    f"/d/playlist/{ORG}/a91018a4-ea4f-4130-bf55-ae270180c327/44710ecc-10bb-48d1-93c7-ae270180c33e/podcast.rss",
    f"/d/playlist/{ORG}/8a3a2b9c-1f2e-4d5c-9b8a-ae270180c111/77aa3b1c-2d3e-4f5a-8b9c-ae270180c222/podcast.rss",
]  # fmt: skip
KEYS = ("Ak3yAAAA1111BBBB2222", "Bk3yBBBB2222CCCC3333")  # two private feeds: /feeds/<key>/rss


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


async def raise_health_alerts(config_path: Path, health_after: float) -> None:
    """What the daemon's health check does (names by ``runtime.feed_name``), against the
    store ``monitor once`` left."""
    config = config_module.load(config_path)
    store = await Store.open(config.database_path)
    try:
        states = {s.url: s for s in await feed_store.all_feeds(store.db)}
        names = {f.url: feed_name(f, states[f.url]) for f in config.feeds}
        await check_feeds(
            store, list(states.values()), names, channels=config.monitor.health_channels,
            now=time.time(), health_after=health_after,
        )  # fmt: skip
    finally:
        await store.close()


async def test_two_failing_feeds_reading_alike_are_told_apart(tmp_path: Path) -> None:
    paths = [*OMNY, *(f"/feeds/{k}/rss" for k in KEYS)]
    routes: dict[str, bytes | int] = {p: 500 for p in paths}
    async with readers(routes) as r:
        path = write_config(tmp_path, r, [r.feeds + p for p in paths])
        _, _, log = await monitor("once", "-c", str(path))
        await asyncio.sleep(0.3)
        await raise_health_alerts(path, health_after=0.2)
        code, _, log2 = await monitor("once", "-c", str(path))  # delivers the health alerts
        assert code in (0, 1), log2  # 1: every feed failed
        _, status, _ = await monitor("status", "--json", "-c", str(path))
        _, table, _ = await monitor("status", "-c", str(path))
        health = [json.loads(b)["alert"] for _, b in r.hook.requests]
    for key in KEYS:
        assert key not in log + log2 + status + table + json.dumps(health), key
    titles = [a["title"] for a in health if a["kind"] == "health"]
    assert len(titles) == 4 and len(set(titles)) == 4, titles  # 3fe46e3: two pairs alike
    names = [f["name"] for f in json.loads(status)["feeds"]]
    assert len(set(names)) == 4, names
    # Omny's ids after /playlist/ are public: the URL as configured, no number needed.
    assert {r.feeds + p for p in OMNY} <= set(names), names
    keyed = [n for n in names if "/feeds/***/rss #" in n]
    assert len(keyed) == 2, names
    for name in keyed:
        assert name in table, table
    # Each failing poll's log line names its feed, the two keyed ones by their numbers.
    failed = re.findall(r"\[feed=([^\]]*)\]", log)
    assert len(set(failed)) == 4, log
    assert set(keyed) <= set(failed), (keyed, failed)
