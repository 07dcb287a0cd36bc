"""export-opml names each feed as a reader would want it: its name in the config, else the
title its feed gave (the store knows it once polled), else its URL."""

from __future__ import annotations

import asyncio
from pathlib import Path
from xml.etree import ElementTree

import pytest
from aiohttp import web
from feedserver import FeedServer, rss

from monitor.cli import main


async def test_export_names_feeds_by_config_then_feed_title_then_url(
    feed_server: FeedServer, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    feed_server.feed("/named", rss("Title The Feed Gave", [("A", "http://x.test/a")]))
    feed_server.feed("/titled", rss("Harbour \x1bGazette", [("B", "http://x.test/b")]))
    feed_server.handler("/gone", lambda r: web.Response(status=404))
    urls = {p: feed_server.url(p) for p in ("/named", "/titled", "/gone")}
    config = tmp_path / "config.toml"
    config.write_text(
        f'[monitor]\ndatabase = "{tmp_path}/m.db"\n'
        f'[[feeds]]\nurl = "{urls["/named"]}"\nname = "Desk Pick"\n'
        f'[[feeds]]\nurl = "{urls["/titled"]}"\n[[feeds]]\nurl = "{urls["/gone"]}"\n',
        encoding="utf-8",
    )
    # Before any poll (no store yet) the config's names, else URLs; then the feeds' titles.
    expected_before = {"/named": "Desk Pick", "/titled": urls["/titled"], "/gone": urls["/gone"]}
    expected_after = {**expected_before, "/titled": "Harbour Gazette"}
    for expected in (expected_before, expected_after):
        if expected is expected_after:
            await asyncio.to_thread(main, ["once", "-c", str(config)])
            capsysbinary.readouterr()
        assert await asyncio.to_thread(main, ["export-opml", "-c", str(config)]) == 0
        root = ElementTree.fromstring(capsysbinary.readouterr().out)
        shown = {o.get("xmlUrl"): o.get("text") for o in root.iter("outline")}
        assert shown == {urls[p]: name for p, name in expected.items()}
