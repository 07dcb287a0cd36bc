"""A node of the cluster as its own process, for the multi-node tests and bench/scale.py: the
real Node, LeasedScheduler and Election over a real PostgreSQL, polling real HTTP feeds.

    python tests/clusternode.py DSN BASE_URL FEEDS INTERVAL LEASE HEARTBEAT [--max-polls N]
        [--parse]

Each poll GETs BASE_URL/feed/<i>.xml (with ``--parse`` it also parses and normalizes the body
with monitor's parser) and is due again INTERVAL seconds after its answer came, as the
daemon's polls are (``pipeline.refresh_feed``). The node prints one
line when it has joined ("ready <node id>"), one per term it wins as the assigner ("assigner
<node id> <epoch>"), and on SIGTERM stops cleanly and prints "stopped <node id> <polls>
<items> <cpu seconds>".
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import signal
import time

import aiohttp
import asyncpg

from monitor.cluster.dispatcher import LeasedScheduler
from monitor.cluster.election import Election, Term
from monitor.cluster.node import ClusterTiming, Node
from monitor.errors import ParseError
from monitor.parse import parse_feed


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser()
    for name in ("dsn", "base", "feeds", "interval", "lease", "heartbeat"):
        p.add_argument(name)
    p.add_argument("--max-polls", type=int, default=20)
    p.add_argument("--parse", action="store_true")
    return p.parse_args()


async def main(args: argparse.Namespace) -> None:
    dsn, interval = args.dsn, float(args.interval)
    hb = float(args.heartbeat)
    timing = ClusterTiming(lease=float(args.lease), heartbeat=hb, election=hb)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    node = Node(pool, timing)
    await node.start()
    session = aiohttp.ClientSession()
    items = 0

    async def poll(url: str) -> float:
        nonlocal items
        answered = None
        try:
            async with session.get(url) as response:
                answered = time.time()
                body = await response.read()
            if args.parse:
                items += len(parse_feed(body, response.headers, url=url).entries)
        except (aiohttp.ClientError, ParseError):
            pass
        return (answered or time.time()) + interval

    async def lead(term: Term) -> None:
        print("assigner", node.id, term.epoch, flush=True)
        await asyncio.Event().wait()

    scheduler = LeasedScheduler(poll, node, max_polls=args.max_polls)
    for i in range(int(args.feeds)):
        scheduler.schedule_feed(f"{args.base}/feed/{i}.xml", time.time())
    scheduler.start()
    election = asyncio.create_task(
        Election("assigner", node, lambda: asyncpg.connect(dsn), lead).run()
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", node.id, flush=True)
    await stop.wait()
    scheduler.shutdown()
    for _ in range(400):  # the polls in flight end (their feeds are handed back)
        if not scheduler.polling:
            break
        await asyncio.sleep(0.05)
    await scheduler.flush()
    election.cancel()
    await node.stop()
    await session.close()
    await pool.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    print("stopped", node.id, scheduler.polls, items, f"{cpu:.3f}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(_args()))
