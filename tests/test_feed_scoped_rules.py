"""Rules scoped to feeds: `test-rules --text` says which rules it could not try and tests a
text as a feed's item with --feed; check-config tells a feed's real title from a typo once the
store knows the titles."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from feedserver import FeedServer, rss

from monitor.cli import main

RULES = """
[[rules]]
name = "gt-summit"
query = "summit"
feeds = ["Global Times"]

[[rules]]
name = "typo-summit"
query = "summit"
feeds = ["Globl Times"]

[[rules]]
name = "any-summit"
query = "summit"
"""


def _config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[monitor]\ndatabase = "{tmp_path / "monitor.db"}"\n[[feeds]]\nurl = "{url}"\n{RULES}'
    )
    return path


@pytest.mark.parametrize(
    ("feed", "rules_matched", "not_tried"),
    [
        (None, ["any-summit"], ["gt-summit", "typo-summit"]),
        ("Global Times", ["any-summit", "gt-summit"], []),
    ],
)
def test_test_rules_on_a_text_says_which_scoped_rules_it_did_not_try(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    feed: str | None,
    rules_matched: list[str],
    not_tried: list[str],
) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9/rss")
    extra = ["--feed", feed] if feed else []
    assert (
        main(["test-rules", "--text", "Leaders meet at a summit", *extra, "-c", str(config)]) == 0
    )
    out, err = capsys.readouterr()
    for name in ("any-summit", "gt-summit", "typo-summit"):
        assert (name in out) is (name in rules_matched), out
        said = f"rule {name!r} not tried: it is only for feeds"
        assert (said in err) is (name in not_tried), err
    assert err.splitlines()[-1] == f"{len(rules_matched)} match{'es' if feed else ''}"


async def test_check_config_tells_a_feed_title_from_a_typo_once_the_store_knows_it(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feed_server.feed("/rss", rss("Global Times", [("Markets open", "http://example.org/1")]))
    config = _config(tmp_path, feed_server.url("/rss"))
    assert await asyncio.to_thread(main, ["check-config", "-c", str(config)]) == 0
    before = capsys.readouterr().err
    assert "'Global Times' or has that URL" in before  # no store yet: both unknown
    assert "'Globl Times' or has that URL" in before
    assert await asyncio.to_thread(main, ["once", "-c", str(config)]) == 0
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["check-config", "-c", str(config)]) == 0
    warnings = [x for x in capsys.readouterr().err.splitlines() if ".feeds[0]" in x]
    assert len(warnings) == 1, warnings
    assert "'Globl Times'" in warnings[0] and "(a typo?)" in warnings[0], warnings


async def test_check_config_does_not_call_a_feed_not_yet_polled_a_typo(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The store knows one feed's title, not the other's (added since): the rule may name it."""
    feed_server.feed("/rss", rss("Global Times", [("Markets open", "http://example.org/1")]))
    config = _config(tmp_path, feed_server.url("/rss"))
    assert await asyncio.to_thread(main, ["once", "-c", str(config)]) == 0
    with config.open("a") as f:
        f.write(f'\n[[feeds]]\nurl = "{feed_server.url("/harbour")}"\n')
        f.write('\n[[rules]]\nname = "harbour"\nquery = "port"\nfeeds = ["Harbour News"]\n')
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["check-config", "-c", str(config)]) == 0
    warnings = [x for x in capsys.readouterr().err.splitlines() if "'Harbour News'" in x]
    assert len(warnings) == 1, warnings
    assert "(a typo?)" not in warnings[0], warnings
    assert "it matches only a feed whose own title is that" in warnings[0], warnings


TAGGED = """
[[rules]]
name = "gt-summit"
query = "summit"
feeds = ["Global Times"]

[[rules]]
name = "asia-summit"
query = "summit"
tags = ["asia"]
"""


@pytest.mark.parametrize(
    ("feed", "rules_matched", "warned"),
    [
        # The daemon names a feed without a name by its title: so does --feed URL.
        ("{url}", ["asia-summit", "gt-summit"], False),
        # By its title, the feed keeps its tags.
        ("global times", ["asia-summit", "gt-summit"], False),
        # Matches nothing: said, not a bare "0 matches".
        ("Globl Times", [], True),
    ],
)
async def test_test_rules_feed_is_the_feed_the_daemon_would_see(
    feed_server: FeedServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    feed: str,
    rules_matched: list[str],
    warned: bool,
) -> None:
    feed_server.feed("/rss", rss("Global Times", [("Markets open", "http://example.org/1")]))
    url = feed_server.url("/rss")
    config = tmp_path / "config.toml"
    config.write_text(
        f'[monitor]\ndatabase = "{tmp_path / "monitor.db"}"\n'
        f'[[feeds]]\nurl = "{url}"\ntags = ["asia"]\n{TAGGED}'
    )
    assert await asyncio.to_thread(main, ["once", "-c", str(config)]) == 0
    capsys.readouterr()
    args = ["test-rules", "--text", "Leaders meet at a summit", "--feed", feed.format(url=url)]
    assert await asyncio.to_thread(main, [*args, "-c", str(config)]) == 0
    out, err = capsys.readouterr()
    assert sorted(n for n in ("asia-summit", "gt-summit") if n in out) == rules_matched, out
    said = [x for x in err.splitlines() if "--feed" in x]
    assert len(said) == warned, err
    if warned:
        assert "no feed here is named that, has that URL or had that title" in said[0], said
