"""A feed URL that names a variable the shell has not set (``${FEED_TOKEN}``: it may live only
in the daemon's environment) stops no command that only reads the store (explore14): status,
stories, events, test-rules, export-opml run, find the feed in the store by the rest of its
address and show it masked as ``${FEED_TOKEN}``, and neither the variable's value nor a
secret address of the store reaches their output. Commands that fetch still refuse, with one
line naming the variable. Each command runs in a process of its own, as a user runs it: one
that had the secret registered would hide a leak."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from clirun import monitor_cli
from feedserver import FeedServer, rss

TOKEN = "opensesame"  # short and plain: nothing but the variable says it is a secret
HIDDEN = "/hidden-herald-path/rss"  # the address ${FEED_URL} holds, and the store keeps
UNTITLED = (  # no title: the store names its items' feed by its address
    b'<rss version="2.0"><channel><item><title>Harbour bridge reopens after repairs</title>'
    b"<link>http://herald.example/bridge</link></item></channel></rss>"
)
READ_ONLY = [
    ["status"],
    ["status", "--json"],
    ["stories", "--since", "3650d"],
    ["events", "--since", "3650d"],
    ["test-rules", "--since", "3650d"],
    ["export-opml"],
]


@pytest.fixture
def config(feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("FEED_TOKEN", raising=False)
    monkeypatch.delenv("FEED_URL", raising=False)
    feed_server.feed("/wire", rss("Wire", [("Putin invites Zelensky to talks", "http://w.test/1")]))
    feed_server.feed(HIDDEN, UNTITLED)
    path = tmp_path / "config.toml"
    path.write_text(
        f'[monitor]\nmax_age = "3650d"\ndatabase = "{tmp_path}/m.db"\nretention = "3650d"\n'
        f'[[feeds]]\nurl = "{feed_server.url("/wire")}?feed=${{FEED_TOKEN}}"\n'
        '[[feeds]]\nurl = "${FEED_URL}"\n[dedup]\nwindow = "3650d"\n'
        '[[rules]]\nname = "talks"\nquery = "talks OR bridge"\nchannels = ["screen"]\n'
        '[channels.screen]\ntype = "console"\n',
        encoding="utf-8",
    )
    return path


async def test_read_only_commands_run_without_a_feed_variable_and_show_it_masked(
    feed_server: FeedServer, config: Path
) -> None:
    secrets = {"FEED_TOKEN": TOKEN, "FEED_URL": feed_server.url(HIDDEN)}
    code, _, err = await monitor_cli("once", config=config, env=secrets)
    assert code == 0, err
    outputs = {}
    for command in READ_ONLY:
        code, out, err = await monitor_cli(*command, config=config)
        assert code == 0, (command, err)
        assert TOKEN not in out + err and "hidden-herald" not in out + err, (command, out, err)
        assert "environment variable FEED_TOKEN is not set here" in err, (command, err)
        outputs[command[0] + " ".join(command[1:2])] = out
    # The feed is found in the store: its health is its own, not "never polled".
    wire, whole = json.loads(outputs["status--json"])["feeds"]
    assert wire["url"] == f"{feed_server.url('/wire')}?feed=${{FEED_TOKEN}}"
    assert wire["name"] == "Wire" and wire["healthy"] and wire["items"] == 1
    assert whole["url"] == "${FEED_URL}"
    assert "Feeds: 2 configured, 0 failing" in outputs["status"]
    assert "Putin invites Zelensky to talks" in outputs["stories--since"]
    assert "Harbour bridge reopens" in outputs["stories--since"]  # its feed's address masked
    assert 'xmlUrl="${FEED_URL}"' in outputs["export-opml"]


@pytest.mark.parametrize("command", [["once"], ["check-config"]], ids=lambda c: c[0])
async def test_a_command_that_fetches_still_names_the_unset_variable(
    config: Path, command: list[str]
) -> None:
    code, _, err = await monitor_cli(*command, config=config)
    assert code == 2
    assert "feeds[0].url: environment variable FEED_TOKEN is not set" in err, err
    assert "feeds[1].url: environment variable FEED_URL is not set" in err, err
    assert "Traceback" not in err


async def test_import_opml_still_names_the_unset_variable(config: Path) -> None:
    # It tells the file's feeds from the configured ones by their addresses: one it cannot
    # read would be added twice, and the daemon would then refuse the config.
    opml = config.parent / "in.opml"
    opml.write_text(
        '<opml version="2.0"><body><outline type="rss" text="B"'
        ' xmlUrl="http://127.0.0.1:9/b.xml"/></body></opml>'
    )
    before = await asyncio.to_thread(config.read_text)
    code, _, err = await monitor_cli("import-opml", str(opml), config=config)
    assert code == 2
    assert "feeds[0].url: environment variable FEED_TOKEN is not set" in err, err
    assert await asyncio.to_thread(config.read_text) == before


KEY = "Ab12Cd34Ef56Gh78Ij90"  # a private feed's key in its path (redact.secret_value: yes)
PRIVATE = f"/private/{KEY}/rss"


async def test_a_stored_feeds_key_is_masked_without_its_variable_as_with_it(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The feed is not found (its whole URL is the variable): every stored address no feed
    # claims is masked as the daemon's load masks a configured one, its keys too (review20c:
    # the key reached stdout), where the daemon's environment masks it.
    monkeypatch.delenv("FEED_URL", raising=False)
    feed_server.feed(PRIVATE, rss("Private", [
        ("Harbour bridge reopens after repairs", f"http://private.example/items/1?feed={KEY}"),
    ]))  # fmt: skip
    path = tmp_path / "config.toml"
    path.write_text(
        f'[monitor]\nmax_age = "3650d"\ndatabase = "{tmp_path}/m.db"\nretention = "3650d"\n'
        '[[feeds]]\nurl = "${FEED_URL}"\n[dedup]\nwindow = "3650d"\n'
        '[[rules]]\nname = "b"\nquery = "bridge"\nchannels = ["screen"]\n'
        '[channels.screen]\ntype = "console"\n',
        encoding="utf-8",
    )
    env = {"FEED_URL": feed_server.url(PRIVATE) + f"?feed={KEY}"}
    code, _, err = await monitor_cli("once", config=path, env=env)
    assert code == 0, err
    for command in (
        ["stories", "--since", "3650d", "--json"],
        ["events", "--since", "3650d", "--json"],
        ["test-rules", "--since", "3650d", "--json"],
    ):
        for given in (env, None):  # the daemon's environment, then the reader's shell
            code, out, err = await monitor_cli(*command, config=path, env=given)
            assert code == 0, err
            assert "Harbour bridge" in out or "private.example" in out, (command, out)
            # (a key in an article link's path is shown, as in an alert: review20b; one in
            # its query, where the feed's URL has it, is masked)
            assert KEY not in out + err, (command, given, out)


async def test_links_under_an_unclaimed_feeds_address_still_open(
    feed_server: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An address no configured feed claims is masked where it is whole (it may be the one
    # with the secret), not where an article's link starts with it (review20c: "***/post-1").
    monkeypatch.delenv("FEED_URL", raising=False)
    blog = feed_server.url("/blog")
    feed_server.feed("/blog", rss("", [("Harbour bridge reopens", f"{blog}/post-1")]))
    feed_server.feed("/private", rss("Private", [("Talks resume", "http://p.example/1")]))
    path = tmp_path / "config.toml"
    head = f'[monitor]\nmax_age = "3650d"\ndatabase = "{tmp_path}/m.db"\nretention = "3650d"\n'
    tail = '[dedup]\nwindow = "3650d"\n'
    path.write_text(head + f'[[feeds]]\nurl = "{blog}"\n' + tail, encoding="utf-8")
    code, _, err = await monitor_cli("once", config=path)
    assert code == 0, err
    # The blog leaves the config; a private feed (its whole URL a variable) comes in.
    path.write_text(head + '[[feeds]]\nurl = "${FEED_URL}"\n' + tail, encoding="utf-8")
    env = {"FEED_URL": feed_server.url("/private")}
    code, _, err = await monitor_cli("once", config=path, env=env)
    assert code == 0, err
    for command in (["stories", "--json"], ["events", "--json"]):
        code, out, err = await monitor_cli(*command, "--since", "3650d", config=path)
        assert code == 0, err
        links = set(_values(json.loads(out), "url"))
        assert f"{blog}/post-1" in links, (command, links)
        assert "http://p.example/1" in links, (command, links)
        # Where the address is whole (the untitled blog's items are named by it), masked.
        assert f'"{blog}"' not in out and f'"{feed_server.url("/private")}"' not in out, out


async def test_export_opml_keeps_the_scheme_the_config_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "http://${FEED_HOST}" is not a whole-URL variable: its scheme is the config's (review20c:
    # exported as "${FEED_HOST}", not a URL); "${FEED_URL}" still is, exported as written.
    monkeypatch.delenv("FEED_HOST", raising=False)
    monkeypatch.delenv("FEED_URL", raising=False)
    path = tmp_path / "config.toml"
    path.write_text(
        f'[monitor]\ndatabase = "{tmp_path}/m.db"\n'
        '[[feeds]]\nurl = "http://${FEED_HOST}"\n[[feeds]]\nurl = "${FEED_URL}"\n',
        encoding="utf-8",
    )
    code, out, err = await monitor_cli("export-opml", config=path)
    assert code == 0, err
    assert 'xmlUrl="http://${FEED_HOST}"' in out, out
    assert 'xmlUrl="${FEED_URL}"' in out, out
    assert "unset.invalid" not in out + err


def _values(data: object, key: str) -> list[object]:
    """Every value of ``key`` anywhere in a JSON document (an event's stories' items)."""
    if isinstance(data, dict):
        return [v for k, x in data.items() for v in ([x] if k == key else _values(x, key))]
    if isinstance(data, list):
        return [v for x in data for v in _values(x, key)]
    return []
