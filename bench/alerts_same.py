"""Matches and alerts over real headlines, dumped for a before/after comparison.

A change meant to make the stages after store cheaper (rules, the outbox) must not change one
match or one alert. This runs the ingest bench's feeds (bench/realfeeds.py: real UCI and STS
headlines with real summaries) through the whole pipeline, feed after feed (``ingest`` of a
pushed body, so the order and every id are the same from run to run), with the bench's rules
(the example config's entities and seed rule, 40 topic rules) and a few of the other kinds: per
story, with a burst, on two channels, title-only. At a third and at two thirds of the run,
every pending alert is read as a channel's worker reads it (``alerts.due``: what the user
would receive) and marked sent through the store (half of them editable), so the rest of the
run also queues updates and bursts of sent alerts, of alerts grown over many polls. It writes
every story's event, every match, what each of those deliveries carried, and every alert as
it went out or would go out at the end (timestamps left out: they are the wall clock's) to a
JSON file. ``--labelled K``: every Kth feed gives its first three items one title, "Latest
news" (a label, ``monitor.dedup.labels``), over their own summaries, before more than a
feed's kept titles.

    python bench/alerts_same.py --code <a checkout of main> before.json
    python bench/alerts_same.py after.json && cmp before.json after.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent

EXTRA_RULES = [
    "[[rules]]", 'name = "per-story"', 'query = "(police OR court) AND (says OR report*)"',
    'alert_on = "story"', 'channels = ["screen"]',
    "[[rules]]", 'name = "bursting"', 'query = "(apple OR google OR microsoft)"',
    'channels = ["screen", "hook"]', 'burst = { outlets = 3, within = "2h" }',
    "[[rules]]", 'name = "story-burst"', 'query = "(ukraine OR russia OR crimea)"',
    'alert_on = "story"', 'channels = ["screen"]', 'burst = { outlets = 2, within = "6h" }',
    "[[rules]]", 'name = "two-channels"', 'query = "(bank OR market*) AND (rate* OR stock*)"',
    'channels = ["screen", "hook"]',
    "[[rules]]", 'name = "title-only"', 'query = "title:(malaysia OR flight OR plane)"',
    'channels = ["hook"]',
    "[channels.hook]", 'type = "console"',
]  # fmt: skip


LABELLED = re.compile(rb"<item><title>[^<]*</title>")


def labelled(body: bytes) -> bytes:
    """``body`` with its first three items titled "Latest news"."""
    return LABELLED.sub(b"<item><title>Latest news</title>", body, count=3)


async def run(feeds: int, items: int, label_every: int = 0) -> dict[str, Any]:
    from ingest import common_words, tracking_rules
    from realfeeds import feed_body, news_of_any_age, real_headlines

    from monitor import config as config_module
    from monitor.engine import Engine
    from monitor.pipeline import ingest_pushed

    pool = real_headlines()
    rules = tracking_rules(common_words("real", feeds, items)) + EXTRA_RULES
    with tempfile.TemporaryDirectory() as tmp:
        lines = ["[monitor]", f'database = "{tmp}/same.db"']
        for i in range(feeds):
            lines += ["[[feeds]]", f'url = "http://127.0.0.1:9/f/{i}"', f'name = "outlet {i % 40}"']
        config = config_module.loads(news_of_any_age("\n".join(lines + rules)), base_dir=Path(tmp))
        engine = await Engine.open(config)
        try:
            db = engine.store.db
            headers = {"content-type": "application/rss+xml"}
            delivered: list[list[Any]] = []
            for i, feed in enumerate(config.feeds):
                body = feed_body(i, items, pool)
                if label_every and i % label_every == 0:
                    body = labelled(body)
                await ingest_pushed(engine.rt, feed, body, headers)
                if i in (feeds // 3, 2 * feeds // 3):
                    delivered += await deliver_all(engine.store, sorted(config.channels))
            shown = await as_shown(engine.store, sorted(config.channels))
            dump: dict[str, Any] = {
                "stories": await db.fetch_all("SELECT id, title, event_id FROM stories ORDER BY id"),
                "matches": await db.fetch_all(
                    "SELECT story_id, item_id, rule, terms, hits, snippet FROM matches"
                    " ORDER BY item_id, rule"
                ),
                "delivered": delivered,
                "alerts": [
                    [*row[:6], shown.get(row[0], row[6]), *row[7:]]
                    for row in await db.fetch_all(
                        "SELECT id, channel, kind, story_id, rule, dedup_key, payload, status,"
                        " external_id FROM alerts ORDER BY id"
                    )
                ],
            }
        finally:
            await engine.close()
    return {k: [list(r) for r in v] for k, v in dump.items()}


async def as_shown(store: Any, channels: list[str]) -> dict[int, str]:
    """The payload of every pending alert as a channel's worker reads it to send it."""
    from monitor.store import alerts as rows

    async with store.transaction() as db:
        return {
            due.alert.id: due.payload
            for channel in channels
            for due in await rows.due(db, channel, float("inf"), 1 << 30)
        }


async def deliver_all(store: Any, channels: list[str]) -> list[list[Any]]:
    """Every pending alert, as a channel's worker reads it, marked sent (an odd id with a
    message id to edit, as a chat gives, an even one without, as mail): what went out."""
    from monitor.store import alerts as rows

    shown = await as_shown(store, channels)
    async with store.transaction() as db:
        for alert_id in shown:
            message = f"message-{alert_id}" if alert_id % 2 else None
            await rows.mark_sent(db, [alert_id], now=0.0, external_id=message)
    return [[alert_id, payload] for alert_id, payload in sorted(shown.items())]


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--code", type=Path, default=BENCH.parent,
                    help="the checkout whose monitor runs (default: this one)")  # fmt: skip
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--labelled", type=int, default=0, metavar="K",
                    help="every Kth feed's first three items titled 'Latest news'")  # fmt: skip
    a = ap.parse_args()
    sys.path[:0] = [str(a.code.resolve()), str(BENCH)]
    import monitor  # now, from --code: bench/ingest.py puts this checkout first on the path

    print(f"monitor from {Path(monitor.__file__).parent}")
    dump = asyncio.run(run(a.feeds, a.items, a.labelled))
    # An update's first mail (``mailthread.thread_token``) is named by its alert's id and a
    # hash of when it was queued, which is the wall clock's: the id is kept, the hash left out.
    token = re.compile(r'(first_alert\\?"\s*:\s*\\?")(\d+)\.[0-9a-f]{12}')
    text = token.sub(r"\1\2", json.dumps(dump, indent=0))
    a.out.write_text(text)
    print(
        f"{a.feeds} feeds x {a.items} items: {len(dump['stories'])} stories,"
        f" {len(dump['matches'])} matches, {len(dump['alerts'])} alerts -> {a.out}"
    )
