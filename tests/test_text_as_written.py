"""An item's text is shown as the outlet wrote it, and compared in NFKC.

A user trial found a UOL headline "2º turno" shown as "2o turno" in alerts, ``monitor
stories`` and status: the text was kept in NFKC, which also makes "km²" "km2", "™" "TM" and
a full-width word ASCII. The text is kept as written now (markup out, entities decoded,
NFC), and matching, story matching and events compare its NFKC form, as before: a rule
written in full-width or ligature letters matches the ASCII headline, and the other way
round. Through the real pipeline: a local feed, the console channel and a webhook receiver.
"""

from __future__ import annotations

import asyncio
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from feedserver import FeedServer
from standins import webhook_receiver

from monitor import config as config_module
from monitor.cli import main
from monitor.dedup.headline import content_words, parse
from monitor.dedup.labels import title_key
from monitor.engine import Engine
from monitor.events.words import segment_words
from monitor.normalize import clean_text, item_key
from monitor.oneshot import poll_all
from monitor.textfold import compatible

WRITTEN = "2º turno: ＦＩＦＡ fecha área de 5 km² do Arena™ em São Paulo"
SUMMARY = "No 2º turno, a ＦＩＦＡ fecha 5 km² da cidade e o Arena™."
ASCII = "World Cup final tickets sold out in Lisbon"
ALTERED = ("2o turno", "FIFA", "km2", "ArenaTM")  # what NFKC makes of WRITTEN


UOL = [
    ("http://uol.example/turno", WRITTEN, SUMMARY),
    ("http://uol.example/final", ASCII, "Fans queued overnight for the last seats."),
]


def rss(title: str = "UOL", items: list[tuple[str, str, str]] = UOL) -> bytes:
    """A feed of ``items`` (link, title, summary)."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://uol.example/</link>"
        + "".join(
            f"<item><title>{title}</title><link>{url}</link><guid>{url}</guid>"
            f"<description>{summary}</description></item>"
            for url, title, summary in items
        )
        + "</channel></rss>"
    ).encode()


async def _polled(
    feed_server: FeedServer, tmp_path: Path, body: bytes, rules: str
) -> tuple[Path, list[dict[str, Any]]]:
    """One poll of a feed serving ``body`` with ``rules`` (and the console channel "screen"),
    through the daemon's engine: the config's path and the webhook "hook"'s alerts."""
    feed_server.feed("/f", body)
    path = tmp_path / "config.toml"
    async with webhook_receiver() as hook:
        path.write_text(
            f'[monitor]\ndatabase = "{tmp_path}/monitor.db"\n'
            f'[[feeds]]\nurl = "{feed_server.url("/f")}"\n{rules}'
            '[channels.screen]\ntype = "console"\n'
            f'[channels.hook]\ntype = "webhook"\nurl = "{hook.url}"\n',
            encoding="utf-8",
        )
        engine = await Engine.open(config_module.load(path))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
        return path, [p["alert"] for p in hook.payloads()]


RULES = """
[[rules]]
name = "fifa"
query = "FIFA AND turno AND km2"
channels = ["screen", "hook"]

[[rules]]
name = "ligature"
query = '"ﬁnal" AND ｔｉｃｋｅｔｓ'
channels = ["screen", "hook"]
"""


async def test_alerts_and_stories_show_the_headline_as_written(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, hooked = await _polled(feed_server, tmp_path, rss(), RULES)
    screen = capsys.readouterr().out
    alerts = {a["rule"]: a for a in hooked}
    # Both rules fired: NFKC on both sides, a full-width "ＦＩＦＡ" is "FIFA" and "km²" has
    # the word "km2"; a rule's ligature and full-width letters match the ASCII headline.
    assert sorted(alerts) == ["fifa", "ligature"]
    fifa = alerts["fifa"]
    assert fifa["title"] == WRITTEN
    assert fifa["snippet"] == SUMMARY
    assert alerts["ligature"]["title"] == ASCII
    assert WRITTEN in screen and SUMMARY in screen and ASCII in screen
    for altered in ALTERED:
        assert altered not in screen and altered not in json.dumps(fifa, ensure_ascii=False)

    assert await asyncio.to_thread(main, ["stories", "--json", "-c", str(path)]) == 0
    stories = json.loads(capsys.readouterr().out)["stories"]
    assert sorted(s["title"] for s in stories) == sorted([WRITTEN, ASCII])
    (story,) = [s for s in stories if s["title"] == WRITTEN]
    assert [r["rule"] for r in story["rules"]] == ["fifa"]
    assert await asyncio.to_thread(main, ["stories", "-c", str(path)]) == 0
    text = capsys.readouterr().out
    assert WRITTEN in text and not any(altered in text for altered in ALTERED)


def test_test_rules_quotes_the_text_as_written_and_matches_as_the_daemon(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[monitor]\ndatabase = "{tmp_path}/monitor.db"\n{RULES}'
        '[channels.screen]\ntype = "console"\n[channels.hook]\ntype = "console"\n',
        encoding="utf-8",
    )
    text = WRITTEN + "\n" + SUMMARY
    assert main(["test-rules", "--json", "-c", str(path), "--text", text]) == 0
    (match,) = json.loads(capsys.readouterr().out)["matches"]
    assert match["rule"] == "fifa"
    assert match["item"]["title"] == WRITTEN
    # The words that fired, quoted from the text as written; the snippet too.
    assert {h["text"] for h in match["hits"]} == {"turno", "ＦＩＦＡ", "km²"}
    assert match["snippet"] == WRITTEN
    assert main(["test-rules", "-c", str(path), "--text", "World Cup ﬁnal ｔｉｃｋｅｔｓ"]) == 0
    assert "ligature [" in capsys.readouterr().out


@pytest.mark.parametrize(
    "written",
    [
        WRITTEN,
        SUMMARY,
        "Ａｐｐｌｅ™ Watch ½ price – ﬁnal days | Ｒｅｕｔｅｒｓ",
        "Zé café ¨ no\u00a0break",
    ],
)
def test_what_compares_words_reads_the_nfkc_form_of_the_text_as_written(written: str) -> None:
    # Kept as written, compared as the NFKC text that was kept before: story matching's
    # headline (the window rebuilt at start parses the stored titles the same way), event
    # words and a text-only item's id are what they were.
    shown = clean_text(written)
    old = " ".join(unicodedata.normalize("NFKC", shown).split())  # what clean_text kept
    assert shown == unicodedata.normalize("NFC", written).replace("\u00a0", " ")
    assert compatible(shown) == old
    assert parse(shown) == parse.__wrapped__(old)
    assert content_words(shown) == content_words(old)
    assert segment_words(shown) == segment_words(old)
    assert item_key(None, None, shown, shown) == item_key(None, None, old, old)
    assert title_key(shown) == title_key(old)  # a feed's labels and boilerplate


# review17b: text kept as written, compared in NFKC where a user compares it too.


async def test_rule_feeds_names_an_unnamed_feed_by_its_title_typed_in_ascii(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # A channel title written in full-width letters (as NHK writes "ＮＨＫ"). The feed has no name in the
    # config, so it goes by its title (runtime.feed_name); the user typed it as monitor showed it
    # until now (NFKC: "NHKニュース") and as anyone types it. Matching compares words in NFKC,
    # rules' feeds= compares feed_name.casefold() of the text as written: the rule stops firing.
    body = rss(
        "ＮＨＫニュース",
        [("http://uol.example/nhk", "Earthquake of magnitude 5 hits Tokyo", "The agency said")],
    )
    rules = '[[rules]]\nname = "quake"\nquery = "earthquake"\nfeeds = ["NHKニュース"]\nchannels = ["hook"]\n'
    _, alerts = await _polled(feed_server, tmp_path, body, rules)
    assert [a["rule"] for a in alerts] == ["quake"]


async def test_lede_after_a_title_with_ligatures_keeps_its_first_letters(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # lede() cuts the repeated headline off the summary at len(title.casefold()): "ﬃ".casefold()
    # is "ffi", so each ligature in the title (kept as written now) cuts one more letter of the
    # lede. Before, the ligatures were letters already.
    title = "Oﬃcial ﬁgures show ﬂat growth"
    summary = title + " Inflation stayed at 2% in May."
    body = rss("Stats", [("http://uol.example/stats", title, summary)])
    rules = '[[rules]]\nname = "growth"\nquery = "growth"\nchannels = ["hook"]\n'
    _, (alert,) = await _polled(feed_server, tmp_path, body, rules)
    assert alert["snippet"] == "Inflation stayed at 2% in May."
