"""``monitor once --dry-run`` prints what would be sent now and says what would wait: an
alert held by a channel's quiet hours is not printed as if it went out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from clirun import monitor_cli
from feedserver import FeedServer, rss
from helpers import config_file


def _span_around_now() -> str:
    now = datetime.now(UTC)
    return f"{now - timedelta(hours=1):%H:%M}-{now + timedelta(hours=1):%H:%M}"


async def test_a_dry_run_holds_what_quiet_hours_hold(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.feed("/rss", rss("Wire", [("Putin invites Zelensky to Moscow", "http://x.test/1")]))
    extra = f"""
[[rules]]
name = "talks"
query = "Putin"
channels = ["hook", "mail"]

[channels.hook]
type = "webhook"
url = "http://127.0.0.1:9/hook"

[channels.mail]
type = "email"
host = "127.0.0.1"
sender = "m@example.org"
recipients = ["desk@example.org"]
quiet_hours = "{_span_around_now()}"
"""
    path = config_file(tmp_path, [feed_server.url("/rss")], extra=extra)
    code, out, err = await monitor_cli("once", "--dry-run", config=path)
    assert code == 0, err
    assert out.count("● NEW STORY") == 1, out
    assert "· hook]" in out and "· mail]" not in out, out
    assert "delivered" not in " ".join(line for line in err.splitlines() if "mail" in line), err
    assert "dry run: would not be sent yet: mail: 1 pending, held by quiet hours" in err, err
