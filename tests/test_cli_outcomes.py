"""``monitor stories`` and ``monitor events`` say which rules matched and whether an alert
went out, through the real pipeline (local feeds, a webhook receiver): a story a rule
matched with no alert of its own says its event was alerted (a rule alerts once per event)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from feedserver import FeedServer
from standins import webhook_receiver
from test_events_alerts import ANGLES, publish

from monitor import config as config_module
from monitor.cli import main
from monitor.engine import Engine
from monitor.oneshot import poll_all


async def test_stories_and_events_show_the_rules_and_the_alerts(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    urls = publish(feed_server, 1)
    path = tmp_path / "config.toml"
    feeds = "".join(f'[[feeds]]\nurl = "{u}"\n' for u in urls)
    async with webhook_receiver() as hook:
        path.write_text(
            f'[monitor]\ndatabase = "{tmp_path}/monitor.db"\n{feeds}'
            '[[rules]]\nname = "peace-talks"\nquery = "Putin OR Zelensky"\nchannels = ["hook"]\n'
            f'[channels.hook]\ntype = "webhook"\nurl = "{hook.url}"\nupdate_delay = "1h"\n',
            encoding="utf-8",
        )
        engine = await Engine.open(config_module.load(path))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            publish(feed_server, 2)
            await poll_all(engine.rt, progress=False)
        finally:
            await engine.close()
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["stories", "--json", "-c", str(path)]) == 0
    stories = {s["title"]: s for s in json.loads(capsys.readouterr().out)["stories"]}
    first, second = stories[ANGLES[0]], stories[ANGLES[1]]
    assert [r["rule"] for r in first["rules"]] == ["peace-talks"]
    alert, update = first["alerts"]
    assert (alert["channel"], alert["kind"], alert["status"]) == ("hook", "new", "sent")
    assert alert["sent_at"]
    # The event grew: its update waits out update_delay.
    assert (update["kind"], update["status"], update["sent_at"]) == ("update", "pending", None)
    # Matched, but folded into the event alerted already: no alert of its own.
    assert [r["rule"] for r in second["rules"]] == ["peace-talks"]
    assert second["alerts"] == [] and second["event_alerted"] is True
    assert await asyncio.to_thread(main, ["stories", "-c", str(path)]) == 0
    text = capsys.readouterr().out
    assert "matched: peace-talks; alerts: hook new sent" in text
    assert f"matched: peace-talks; no alert of its own: its event {second['event']}" in text
    assert await asyncio.to_thread(main, ["events", "--json", "-c", str(path)]) == 0
    (event,) = [e for e in json.loads(capsys.readouterr().out)["events"] if e["rules"]]
    assert [r["rule"] for r in event["rules"]] == ["peace-talks"]
    assert [(a["kind"], a["status"]) for a in event["alerts"]] == [
        ("new", "sent"),
        ("update", "pending"),
    ]
    assert await asyncio.to_thread(main, ["events", "-c", str(path)]) == 0
    text = capsys.readouterr().out
    assert "matched: peace-talks; alerts: hook new sent" in text and "update pending" in text
    # --matched: only what a rule matched, not the unrelated headlines around it.
    for command, key, count in (("stories", "stories", 2), ("events", "events", 1)):
        assert await asyncio.to_thread(main, [command, "--matched", "--json", "-c", str(path)]) == 0
        listed = json.loads(capsys.readouterr().out)[key]
        assert len(listed) == count and all(x["rules"] for x in listed)


def quiet_span(now: datetime) -> tuple[str, str]:
    """Quiet hours from an hour ago to two hours ahead (UTC): inside them, with a margin."""
    return f"{now - timedelta(hours=1):%H:%M}", f"{now + timedelta(hours=2):%H:%M}"


# (the rule's severity, whether quiet hours hold its alert: quiet_override is "urgent")
SEVERITIES = [("normal", True), ("urgent", False)]


@pytest.mark.parametrize(("severity", "held"), SEVERITIES)
async def test_status_says_why_a_pending_alert_waits(
    feed_server: FeedServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    severity: str,
    held: bool,
) -> None:
    urls = publish(feed_server, 1)
    start, end = quiet_span(datetime.now(UTC))
    path = tmp_path / "config.toml"
    feeds = "".join(f'[[feeds]]\nurl = "{u}"\n' for u in urls)
    async with webhook_receiver() as hook:
        path.write_text(
            f'[monitor]\ndatabase = "{tmp_path}/monitor.db"\n{feeds}'
            '[[rules]]\nname = "peace-talks"\nquery = "Putin OR Zelensky"\n'
            f'severity = "{severity}"\nchannels = ["sleepy", "awake"]\n'
            f'[channels.sleepy]\ntype = "webhook"\nurl = "{hook.url}"\n'
            f'quiet_hours = "{start}-{end}"\nquiet_override = "urgent"\n'
            f'[channels.awake]\ntype = "webhook"\nurl = "{hook.url}"\n',
            encoding="utf-8",
        )
        engine = await Engine.open(config_module.load(path))
        try:
            await poll_all(engine.rt, progress=False)  # queued, not delivered
        finally:
            await engine.close()
    capsys.readouterr()
    assert await asyncio.to_thread(main, ["status", "--json", "-c", str(path)]) == 0
    waiting = json.loads(capsys.readouterr().out)["outbox"]["waiting"]
    sleepy = waiting["sleepy"]
    assert sleepy["pending"] == 1
    assert (sleepy["quiet_until"] or "")[11:16] == (end if held else "")
    assert waiting["awake"]["pending"] == 1 and waiting["awake"]["quiet_until"] is None
    assert await asyncio.to_thread(main, ["status", "-c", str(path)]) == 0
    text = capsys.readouterr().out
    ends = datetime.now(UTC) + timedelta(hours=2)
    day = "" if ends.date() == datetime.now(UTC).date() else f"{ends.day} {ends:%b} "
    line = f"WAITING sleepy: 1 pending, held by quiet hours until {day}{end} (UTC)"
    assert (line in text) == held
    if not held:  # an urgent alert goes through: nothing to explain
        assert "WAITING sleepy" not in text
    assert "WAITING awake" not in text  # due now: nothing to explain
