"""Text kept as written but compared in NFKC where a user compares it: a rule's ``feeds``
naming a feed by its own title, and the lede cut after a title with ligatures (review17b).

Real pipeline: a local feed server, the engine, a webhook receiver."""

from __future__ import annotations

from pathlib import Path

from feedserver import FeedServer
from standins import webhook_receiver

from monitor import config as config_module
from monitor.engine import Engine
from monitor.oneshot import poll_all


def rss(channel_title: str, items: list[tuple[str, str, str]]) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{channel_title}</title><link>http://nhk.example/</link>"
        + "".join(
            f"<item><title>{t}</title><link>{u}</link><guid>{u}</guid>"
            f"<description>{s}</description></item>"
            for u, t, s in items
        )
        + "</channel></rss>"
    ).encode()


async def _alerts(
    feed_server: FeedServer, tmp_path: Path, body: bytes, rules: str
) -> list[dict[str, object]]:
    feed_server.feed("/f", body)
    path = tmp_path / "config.toml"
    async with webhook_receiver() as hook:
        path.write_text(
            f'[monitor]\ndatabase = "{tmp_path}/monitor.db"\n'
            f'[[feeds]]\nurl = "{feed_server.url("/f")}"\n{rules}'
            f'[channels.hook]\ntype = "webhook"\nurl = "{hook.url}"\n',
            encoding="utf-8",
        )
        engine = await Engine.open(config_module.load(path))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
        return [p["alert"] for p in hook.payloads()]


async def test_rule_feeds_names_an_unnamed_feed_by_its_title_typed_in_ascii(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # A channel title written in full-width letters (as NHK writes "ＮＨＫ"). The feed has no name in the
    # config, so it goes by its title (runtime.feed_name); the user typed it as monitor showed it
    # until now (NFKC: "NHKニュース") and as anyone types it. Matching compares words in NFKC,
    # rules' feeds= compares feed_name.casefold() of the text as written: the rule stops firing.
    body = rss(
        "ＮＨＫニュース",
        [("http://nhk.example/1", "Earthquake of magnitude 5 hits Tokyo", "The agency said")],
    )
    rules = '[[rules]]\nname = "quake"\nquery = "earthquake"\nfeeds = ["NHKニュース"]\nchannels = ["hook"]\n'
    alerts = await _alerts(feed_server, tmp_path, body, rules)
    assert [a["rule"] for a in alerts] == ["quake"]


async def test_lede_after_a_title_with_ligatures_keeps_its_first_letters(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    # lede() cuts the repeated headline off the summary at len(title.casefold()): "ﬃ".casefold()
    # is "ffi", so each ligature in the title (kept as written now) cuts one more letter of the
    # lede. Before, the ligatures were letters already.
    title = "Oﬃcial ﬁgures show ﬂat growth"
    summary = title + " Inflation stayed at 2% in May."
    body = rss("Stats", [("http://stats.example/1", title, summary)])
    rules = '[[rules]]\nname = "growth"\nquery = "growth"\nchannels = ["hook"]\n'
    (alert,) = await _alerts(feed_server, tmp_path, body, rules)
    assert alert["snippet"] == "Inflation stayed at 2% in May."
