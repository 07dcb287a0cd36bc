"""Outbox throughput: N queued alerts drained to a local Bot API stand-in, no rate limit.

    python bench/alerts.py [--alerts 10000] [--concurrency 1]

Prints alerts/s (goal: >= 500). Every alert is one sendMessage over HTTP and one committed
"sent" mark, as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from pydantic import TypeAdapter

sys.path[:0] = [
    str(Path(__file__).resolve().parents[1]),
    str(Path(__file__).resolve().parents[1] / "tests"),
]

from standins import BOT_TOKEN, CHAT_ID, telegram_standin

from monitor import outbox
from monitor.channels import build_channels
from monitor.channels.config import ChannelConfig
from monitor.models import Alert
from monitor.store import Store


async def bench(count: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store.open(Path(tmp) / "bench.db")
        try:
            now = time.time()
            started = time.perf_counter()
            async with store.transaction() as db:
                for i in range(count):
                    alert = Alert(
                        id=0, channel="desk", kind="new", title=f"Story number {i}",
                        rule="bench", outlets=("TASS", "Reuters"), terms=("Putin",),
                        snippet="Putin said something about a summit " * 3,
                        url=f"https://example.org/{i}",
                    )  # fmt: skip
                    await outbox.enqueue(db, kind="new", channel="desk", alert=alert,
                                         dedup_key=f"bench:{i}", now=now)  # fmt: skip
            queued = time.perf_counter() - started
            async with telegram_standin() as tg, aiohttp.ClientSession() as session:
                config = TypeAdapter(ChannelConfig).validate_python(
                    {"type": "telegram", "bot_token": BOT_TOKEN, "chat_id": CHAT_ID,
                     "api_base": tg.url, "rate_limit": "off", "concurrency": concurrency}
                )  # fmt: skip
                deliverer = outbox.Deliverer(store, build_channels({"desk": config}, session))
                started = time.perf_counter()
                drained = await deliverer.drain(600)
                elapsed = time.perf_counter() - started
            assert drained and len(tg.sent) == count, (drained, len(tg.sent))
            assert len({m["text"] for m in tg.sent}) == count  # each alert exactly once
        finally:
            await store.close()
    print(f"queued {count} alerts in {queued:.2f}s ({count / queued:,.0f}/s)")
    print(
        f"delivered {count} alerts in {elapsed:.2f}s: {count / elapsed:,.0f} alerts/s "
        f"(concurrency {concurrency}; goal >= 500)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=10_000, help="alerts to queue")
    parser.add_argument("--concurrency", type=int, default=1, help="deliveries in flight")
    args = parser.parse_args()
    asyncio.run(bench(args.alerts, args.concurrency))


if __name__ == "__main__":
    main()
