"""Smaller promises of the command line and the config file (issue 13, part 7): each case
is what a user ran into."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.store import Store


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "command",
    [
        ["status"],
        ["status", "--json"],
        ["stories"],
        ["events", "--json"],
        ["test-rules", "--since", "24h"],
    ],
)
def test_a_mistyped_database_path_is_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    missing = tmp_path / "dta" / "monitor.db"
    config = _write(
        tmp_path,
        f'[monitor]\ndatabase = "{missing}"\n[[rules]]\nname = "r"\nquery = "summit"\n',
    )
    assert main([*command, "-c", str(config)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"monitor: store: no database at {missing}"]
    assert not missing.exists() and not missing.parent.exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["-c", "{config}", "status"],
        ["--config", "{config}", "status"],
        ["status", "-c", "{config}"],
        ["-c", "/nowhere/else.toml", "status", "-c", "{config}"],  # the one after the command wins
    ],
)
def test_the_config_option_goes_before_or_after_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    config = _write(tmp_path, '[[feeds]]\nurl = "http://127.0.0.1:9/rss"\nname = "Nowhere"\n')
    asyncio.run(_create(tmp_path / "monitor.db"))
    assert main([a.format(config=config) for a in argv]) == 0
    assert "Nowhere" in capsys.readouterr().out


async def _create(path: Path) -> None:
    store = await Store.open(path)
    await store.close()


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ('"localhost"', False),
        ('"localhost:"', False),
        ('"localhost:http"', False),
        ('"127.0.0.1:99999"', False),
        ('"[::1:9100"', False),
        ('"localhost:9100"', True),
        ('"127.0.0.1:0"', True),
        ('"[::1]:9100"', True),
        ('":9100"', True),
    ],
)
def test_the_metrics_address_is_checked_by_check_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, ok: bool
) -> None:
    config = _write(tmp_path, f"[monitor]\nmetrics = {value}\n")
    assert main(["check-config", "-c", str(config)]) == (0 if ok else 2)
    if not ok:
        assert "monitor.metrics: expected HOST:PORT" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [
        ("http://host.example/a", "HTTP://Host.Example/a", True),
        ("http://host.example/a", "http://host.example/a/", True),
        ("http://host.example/a", "http://host.example:80/a", True),
        ("http://host.example/a", "http://host.example/a?utm_source=rss", True),
        ("http://host.example/", "http://host.example", True),
        ("http://host.example/a", "https://host.example/a", False),
        ("http://host.example/a", "http://host.example/b", False),
        ("http://host.example/a?id=1", "http://host.example/a?id=2", False),
    ],
)
def test_duplicate_feeds_are_compared_by_canonical_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], first: str, second: str, same: bool
) -> None:
    config = _write(tmp_path, f'[[feeds]]\nurl = "{first}"\n[[feeds]]\nurl = "{second}"\n')
    assert main(["check-config", "-c", str(config)]) == (2 if same else 0)
    if same:
        err = capsys.readouterr().err
        assert f"feeds[1].url: {second} is the same feed as feeds[0] ({first})" in err


def test_rule_errors_come_with_every_other_problem_and_name_the_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _write(
        tmp_path,
        """
[monitor]
interval = "often"

[[feeds]]
url = "https://example.org/rss"
name = "Example"
interval = "ten minutes"

[[rules]]
name = "ok"
query = "summit"

[[rules]]
name = "peace-talks"
query = '(Putin AND'

[[rules]]
name = "who"
query = '@"Nobody Known"'
channels = ["nowhere"]
""",
    )
    assert main(["check-config", "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert "monitor.interval:" in err
    assert 'feeds[0] "Example".interval:' in err
    assert 'rules[1] "peace-talks".query:' in err
    assert 'rules[2] "who".query: no entity named' in err
    assert 'rules[2] "who".channels[0]: no channel named' in err
    assert "5 problems" in err


@pytest.mark.parametrize(
    ("section", "value"),
    [
        ('[[feeds]]\nurl = "{url}"', "http://[::1/rss"),
        ('[channels.hook]\ntype = "webhook"\nurl = "{url}"', "http://[::1/hook"),
        (
            '[channels.tg]\ntype = "telegram"\nbot_token = "1:x"\nchat_id = "1"\n'
            'api_base = "{url}"',
            "http://[::1",
        ),
    ],
)
def test_every_http_url_of_the_config_is_checked_alike(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], section: str, value: str
) -> None:
    config = _write(tmp_path, section.format(url=value) + "\n")
    assert main(["check-config", "-c", str(config)]) == 2
    assert f"not a valid URL (Invalid IPv6 URL): {value!r}" in capsys.readouterr().err


async def test_engine_open_releases_the_store_when_a_channel_cannot_be_built(
    tmp_path: Path,
) -> None:
    """Fixed before this test existed (f097ded); with the writer's lock a leaked store would
    also lock the user out of their own database until the process exits."""
    from helpers import make_config

    from monitor.engine import Engine

    config = make_config(tmp_path, [])
    broken = config.model_copy(update={"channels": {"desk": "not a channel config"}})
    with pytest.raises(TypeError):
        await Engine.open(broken)
    store = await Store.open(config.database_path)  # not "in use by another monitor"
    await store.close()


async def _numbered(path: Path) -> None:
    """A database as monitor left it before migrations were named (and before m007)."""
    import aiosqlite

    from monitor.store.migrations import MIGRATIONS
    from monitor.store.sqlite import SqliteDb

    async with aiosqlite.connect(path, isolation_level=None) as db:
        await db.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at REAL NOT NULL)"
        )
        for version, migration in enumerate(MIGRATIONS[:5], start=1):
            await migration(SqliteDb(db))
            await db.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, 0)", (version, migration.__name__)
            )


def test_a_reader_leaves_an_old_database_to_its_writer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "monitor.db"
    asyncio.run(_numbered(database))
    config = _write(tmp_path, "")
    assert main(["status", "-c", str(config)]) == 1
    assert "predates this version of monitor" in capsys.readouterr().err
    assert main(["once", "-c", str(config)]) == 0  # the writer upgrades it
    assert main(["status", "-c", str(config)]) == 0


TELEGRAM = '[channels.c]\ntype = "telegram"\nbot_token = "{token}"\nchat_id = "{chat}"\n'
EMAIL = (
    '[channels.c]\ntype = "email"\nhost = "{host}"\nsender = "{sender}"\nrecipients = ["a@b.c"]\n'
)
WEBHOOK = '[channels.c]\ntype = "webhook"\nurl = "http://127.0.0.1:9/h"\nsecret = "{secret}"\n'


@pytest.mark.parametrize(
    ("section", "key"),
    [
        # "${TELEGRAM_BOT_TOKEN}" of an env file whose line was left as "TELEGRAM_BOT_TOKEN="
        (TELEGRAM.format(token="${EMPTY}", chat="42"), "channels.c.bot_token"),
        (TELEGRAM.format(token="1:x", chat=" "), "channels.c.chat_id"),
        (EMAIL.format(host="", sender="a@b.c"), "channels.c.host"),
        (EMAIL.format(host="mail", sender=""), "channels.c.sender"),
        (EMAIL.format(host="mail", sender="a@b.c") + 'recipients = [""]\n', None),
        # An empty secret signed nothing, silently: the receiver took unsigned posts.
        (WEBHOOK.format(secret="${EMPTY}"), "channels.c.secret"),
    ],
    ids=["bot_token", "chat_id", "host", "sender", "recipient", "secret"],
)
def test_an_empty_channel_credential_or_address_is_a_config_error(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    section: str,
    key: str | None,
) -> None:
    monkeypatch.setenv("EMPTY", "")
    if key is None:  # the recipients line replaces the one of the section
        section = section.replace('recipients = ["a@b.c"]\n', "", 1)
        key = "channels.c.recipients[0]"
    config = _write(tmp_path, section)
    assert main(["check-config", "-c", str(config)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and err[1].strip().startswith(f"{key}: "), err
    assert "empty" in err[1], err


def test_a_channel_name_where_a_list_is_expected_is_one_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Each letter of "desk" was also looked up as a channel: 10 lines for two mistakes.
    config = _write(
        tmp_path,
        '[monitor]\nhealth_channels = "desk"\n[[rules]]\nname = "r"\nquery = "a"\n'
        'channels = "desk"\n[channels.desk]\ntype = "console"\n',
    )
    assert main(["check-config", "-c", str(config)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert [line.strip() for line in err[1:]] == [
        "monitor.health_channels: Input should be a valid list",
        'rules[0] "r".channels: Input should be a valid list',
    ]


@pytest.mark.parametrize(
    ("section", "line"),
    [
        (
            '[channels.x]\nurl = "http://127.0.0.1:9/h"\n',
            "channels.x.type: required key is missing (console, telegram, email or webhook)",
        ),
        (
            '[channels.x]\ntype = "sms"\n',
            "channels.x.type: 'sms' is not a channel type (console, telegram, email or webhook)",
        ),
    ],
    ids=["missing", "unknown"],
)
def test_a_channel_type_problem_names_the_type_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], section: str, line: str
) -> None:
    # pydantic's words were "Unable to extract tag using discriminator 'type'".
    assert main(["check-config", "-c", str(_write(tmp_path, section))]) == 2
    assert capsys.readouterr().err.strip().splitlines()[1:] == [f"  {line}"]
