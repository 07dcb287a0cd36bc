"""A mail channel whose expire_after is below the new default update_max (30m)
worked before (updates every update_delay); now an update of a long-growing event waits
longer than expire_after and expired: its angles were never mailed (review18e); the pace
stops at half of expire_after. expire_after 5m,
update_delay 1m (default), update_max left at its default: an angle at minutes 1..12, a poll
each minute for 30 minutes."""

from __future__ import annotations

from pathlib import Path

from feedserver import FeedServer
from helpers import make_config
from standins import smtp_standin, telegram_standin
from test_alert_update_pace import ANGLES, FIRST, Clock, channels, publish, text_of

from monitor.engine import Engine
from monitor.oneshot import poll_all

MORE = [
    *ANGLES,
    "Kremlin: Putin open to meeting Zelensky in third country",
    "Zelensky says he will not go to Moscow",
]


async def test_no_update_expires_for_waiting_its_pace(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    urls = publish(feed_server, [FIRST] + [""] * len(MORE))
    clock = Clock()
    async with smtp_standin() as smtp, telegram_standin() as tg:
        extra = channels(smtp.port, tg.url, "Putin OR Zelensky", 'expire_after = "5m"')
        engine = await Engine.open(make_config(tmp_path, urls, extra=extra), clock=clock)
        try:
            for minute in range(30):
                shown = min(minute, len(MORE))
                publish(feed_server, [FIRST, *MORE[:shown], *[""] * (len(MORE) - shown)])
                await poll_all(engine.rt, progress=False)
                await engine.drain(10)
                clock.offset += 60
            expired = await engine.store.db.fetch_all(
                "SELECT id, kind, status, last_error FROM alerts WHERE status <> 'sent'"
            )
        finally:
            await engine.close()
    bodies = [text_of(m) for m in smtp.received]
    # Nothing expires (before: every update sent); the angle of minute 11 reaches the reader
    # (before: in the 7th mail; now in none, its update expired at its 8-minute wait).
    assert not expired, [tuple(r) for r in expired]
    assert any(MORE[10] in b for b in bodies[1:]), (MORE[10], len(bodies))
