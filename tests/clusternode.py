"""A node of the cluster as its own process, for the multi-node tests and bench/scale.py: the
real Node, LeasedScheduler and Election over a real PostgreSQL, polling real HTTP feeds.

    python tests/clusternode.py DSN BASE_URL FEEDS INTERVAL LEASE HEARTBEAT [MAX_POLLS]

Each poll GETs BASE_URL/feed/<i>.xml and is due again INTERVAL seconds after it began. The
node prints one line when it has joined ("ready <node id>"), one per term it wins as the
assigner ("assigner <node id> <epoch>") and stops cleanly on SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time

import aiohttp
import asyncpg

from monitor.cluster.dispatcher import LeasedScheduler
from monitor.cluster.election import Election, Term
from monitor.cluster.node import ClusterTiming, Node


async def main(argv: list[str]) -> None:
    dsn, base, feeds, interval, lease, heartbeat = argv[:6]
    max_polls = int(argv[6]) if len(argv) > 6 else 20
    timing = ClusterTiming(
        lease=float(lease), heartbeat=float(heartbeat), election=float(heartbeat)
    )
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=4)
    node = Node(pool, timing)
    await node.start()
    session = aiohttp.ClientSession()

    async def poll(url: str) -> float:
        started = time.time()
        try:
            async with session.get(url) as response:
                await response.read()
        except aiohttp.ClientError:
            pass
        return started + float(interval)

    async def lead(term: Term) -> None:
        print("assigner", node.id, term.epoch, flush=True)
        await asyncio.Event().wait()

    scheduler = LeasedScheduler(poll, node, max_polls=max_polls)
    for i in range(int(feeds)):
        scheduler.schedule_feed(f"{base}/feed/{i}.xml", time.time())
    scheduler.start()
    election = asyncio.create_task(
        Election("assigner", node, lambda: asyncpg.connect(dsn), lead).run()
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", node.id, flush=True)
    await stop.wait()
    scheduler.shutdown()
    for _ in range(100):  # the polls in flight hand their feeds back
        if not scheduler.polling:
            break
        await asyncio.sleep(0.05)
    election.cancel()
    await node.stop()
    await session.close()
    await pool.close()
    print("stopped", node.id, scheduler.polls, flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
