"""Keys in a feed URL's path, in a URL percent-encoded inside a parameter, and in the URL a
feed moved to on another node (fixredact20's three gaps).

A private feed carries its key in the path as often as in the query (a token segment, a
"/private/<hex>.xml", Instapaper's "/rss/<user>/<secret>", Pinboard's "/secret:<key>/"), or
behind a proxy as "?url=<the keyed URL>", percent-encoded or not: none of those keys reaches a log
line, ``monitor status`` (text or JSON), a health alert or a /metrics label, while a normal
feed's path, a public channel id and the articles' links (slugs, dates, ids) stay readable.
A cluster node that reads from the store the URL another node's poll moved a feed to masks
that URL's key from then on, not only at its next start.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from urllib.parse import quote

import asyncpg
from clirun import HEADLINES, pipeline_config, start_node, stop_nodes, with_password
from feedserver import FeedServer, rss
from standins import telegram_standin, webhook_receiver
from test_redact_ids import Lines, _metrics_of, _series
from test_redaction_everywhere import monitor, raise_health_alerts, readers, write_config
from test_redaction_everywhere import rss as plain_rss

TOKEN = "Zk3xQ9mP2rT7vW1yB4nD"  # https://host/feeds/<token>/rss
HEX = "9f86d081884c7d659a2feaa0c55ad015"  # /private/<32 hex>.xml
INSTA = "Qm7tR2xK9pL4wN8vB3cZ"  # Instapaper: /rss/<user id>/<secret>
PIN = "a94a8fe5ccb19ba61c4c"  # Pinboard: /rss/secret:<key>/u:<user>/
NESTED = "n3st3d-k3y-42"  # a proxy's ?url=<https://upstream/feed?token=<key>, encoded>
RAW = "r4w-n3st3d-99"  # ... or not encoded: ?url=https://upstream/feed?apikey=<key>
NAMED = "ABCDEF123456"  # after a segment that names it: /rss/user/<name>/token/<key>/feed.xml
SHORT = "u7k2m9x4q1z8"  # twelve characters: /k/<key>/rss (explore20 saw both in clear)
SECRETS = (TOKEN, HEX, INSTA, PIN, NESTED, RAW, NAMED, SHORT)
CHANNEL = "UCBJycsmduvYEL83R_U4JriQ"  # a real YouTube channel id: public
# Real article links' shapes (UCI News data): a Reuters id with a date, a Livemint id.
ARTICLES = ("/article/2014/03/10/us-ecb-noyer-idUSBREA290GC20140310",
            "/Politics/H2EvwJSK2VE6OF7iK1g3PP/Feds-Charles-Plosser-sees-high-bar.html")  # fmt: skip


def _proxied(upstream: str) -> str:
    return "/fetch?url=" + quote(upstream, safe="")


def _keyed_paths() -> list[str]:
    return [
        f"/feeds/{TOKEN}/rss",
        f"/private/{HEX}.xml",
        f"/rss/1234567/{INSTA}",
        f"/rss/secret:{PIN}/u:reader/",
        _proxied(f"https://upstream.example/feed?token={NESTED}"),
        f"/relay?url=https://upstream.example/feed?apikey={RAW}",
        f"/rss/user/jdoe/token/{NAMED}/feed.xml",
        f"/k/{SHORT}/rss",
    ]


async def test_keys_in_paths_and_nested_urls_reach_no_reader(tmp_path: Path) -> None:
    routes: dict[str, bytes | int] = {}  # every keyed feed fails: logged, then a health alert
    async with readers(routes) as r:
        links = [r.feeds + a for a in ARTICLES]
        routes["/world/rss.xml"] = plain_rss(
            [("Leaders agree to a summit in Geneva", links[0]), ("Markets slip", links[1])]
        )
        path = write_config(tmp_path, r, [r.feeds + p for p in [*_keyed_paths(), "/world/rss.xml"]])
        code, console, log = await monitor("once", "-c", str(path))
        assert code == 0, log
        await asyncio.sleep(0.3)
        await raise_health_alerts(path, health_after=0.2)
        code, health_console, health_log = await monitor("once", "-c", str(path))
        assert code == 0, health_log
        status_json, status_text = [
            out
            for _, out, _ in await asyncio.gather(
                monitor("status", "--json", "-c", str(path)), monitor("status", "-c", str(path))
            )
        ]
        alerts = r.received()
        kinds = [json.loads(body)["alert"]["kind"] for _, body in r.hook.requests]
    seen = {
        "logs": log + health_log, "console": console + health_console, "status": status_text,
        "status --json": status_json, "alerts": "\n".join(alerts),
    }  # fmt: skip
    for where, text in seen.items():
        for secret in SECRETS:
            assert secret not in text, (where, secret, text)
    assert kinds.count("health") == len(_keyed_paths()), kinds  # each keyed feed's health alert
    # Each feed is still told apart: the key's place is shown masked.
    for masked in ("/feeds/***/rss", "/private/***.xml", "/rss/1234567/***",
                   "/rss/secret:***/u:reader/", "token%3D***", "feed?apikey=***",
                   "/token/***/feed.xml", "/k/***/rss"):  # fmt: skip
        assert masked in status_json and masked in seen["logs"], masked
    # A normal feed's path and the articles' links are kept whole, in the alert as sent.
    assert f"{r.feeds}/world/rss.xml" in status_json
    assert links[0] in seen["alerts"], alerts
    assert "Leaders agree to a summit in Geneva" in console


async def test_metrics_labels_mask_path_keys_and_keep_public_ids(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    body = rss("Channel", [("Video one", "http://e.org/v1")])
    keys = ("Ak3yAAAA1111BBBB2222", "Bk3yBBBB2222CCCC3333")  # two feeds told apart by a key
    paths = [f"/feeds/{k}/rss" for k in keys] + [
        f"/channel/{CHANNEL}",
        "/world/rss.xml",
        _proxied(f"https://upstream.example/feed?token={NESTED}"),
    ]
    for p in paths:
        feed_server.feed(p.split("?")[0], body)
    lines = Lines()
    metrics = await _metrics_of(feed_server, tmp_path, [feed_server.url(p) for p in paths], lines)
    series = _series(metrics)
    assert len(series) == len(paths), series  # one series each: none merged by its mask
    log = "\n".join(lines.lines)
    for secret in (*keys, NESTED):
        assert secret not in metrics and secret not in log, secret
    keyed = [s for s in series if "/feeds/***/rss #" in s]
    assert len(keyed) == 2 and keyed[0].split("#")[1] != keyed[1].split("#")[1], series
    assert any("token%3D*** #" in s for s in series), series
    # Public: the channel id and a normal feed's path, readable, without a number.
    assert any(f'/channel/{CHANNEL}"' in s for s in series), series
    assert any('/world/rss.xml"' in s for s in series), series


MOVED_KEY = "Mv9kQ2rT7vW1yB4nD8xZ"  # in the moved URL's path, and in its items' links
MOVED_FEED = "0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"  # ... and its ?feed=<key> (Reddit's shape)


async def test_a_node_masks_the_key_of_a_url_another_node_moved_a_feed_to(
    feed_server: FeedServer, pg_url: str, tmp_path: Path
) -> None:
    """Node B runs; another node's poll follows the feed's 301 and leaves the new URL in the
    store (written here as that poll writes it); B's next poll reads it and fetches there:
    the items' links echo the new URL's keys (as a proxy's do), and B sends their alert. The
    key of its parameter is masked in the alert's link as in the log; the key of its path is
    masked in the log but kept in the link, which would not open without it (a path key is
    often an id the articles' links hold too, review20b D1): the alert goes to the readers of
    whoever configured the feed, who hold the key."""
    moved = f"/moved/{MOVED_KEY}/rss"
    link = feed_server.url(f"/moved/{MOVED_KEY}/rail-strike") + f"?feed={MOVED_FEED}"
    feed_server.feed("/old.rss", rss("Old", []))
    feed_server.feed(moved, rss("Moved", [(HEADLINES[0], link)]))
    async with telegram_standin() as tg, webhook_receiver() as hook:
        config = tmp_path / "config.toml"
        cluster = '[cluster]\nlease = "3s"\nheartbeat = "0.5s"\nelection = "0.3s"\n'
        monitor = ('interval = "1s"', 'min_interval = "1s"')
        text = pipeline_config(
            with_password(pg_url), [feed_server.url("/old.rss")], tg.url, hook.url,
            monitor=monitor, tables=cluster,
        )  # fmt: skip
        config.write_text(text, "utf-8")
        node = await start_node(config)
        try:
            db = await asyncpg.connect(pg_url)
            try:
                deadline = time.monotonic() + 60
                while not feed_server.hits(moved):
                    assert time.monotonic() < deadline and node.returncode is None
                    if feed_server.hits("/old.rss"):  # B polls; another node moves it
                        moved_url = feed_server.url(moved) + f"?feed={MOVED_FEED}"
                        await db.execute("UPDATE feeds SET fetch_url = $1", moved_url)
                    await asyncio.sleep(0.2)
                for _ in range(300):  # B sends the alert of the moved feed's item
                    if hook.requests:
                        break
                    await asyncio.sleep(0.1)
            finally:
                await db.close()
        finally:
            log = (await stop_nodes([node]))[0]
        sent = [body.decode() for _, body in hook.requests] + [json.dumps(m) for m in tg.sent]
    assert hook.requests, log  # B sent the alert of the moved feed's item
    assert f"/moved/{MOVED_KEY}/rail-strike?feed=***" in "\n".join(sent), sent
    assert MOVED_FEED not in "\n".join(sent), sent
    assert MOVED_KEY not in log and MOVED_FEED not in log, log
