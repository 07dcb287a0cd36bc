"""A cluster's cold start over a real PostgreSQL: one node polls and queues its items for the
assigner, another node assigns them. The items of the feeds' first poll keep their mark
through the queue (``items.untimed``): two undated pieces of news that share two names
("Putin", "Moscow"), first seen together, each get their own alert, as on one process."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from assignerhelpers import assign_queued, poll_to_queue, take_assigner_role
from feedserver import FeedServer
from helpers import make_config
from standins import webhook_receiver
from test_events_when import BOLSONARO, HOOK_RULE, INVITE, RAIN, fillers, rss

Poll = tuple[list[str], Callable[[], None]]  # the feeds polled, then what changes


async def polled_on_one_node_assigned_on_another(
    feed_server: FeedServer, pg_url: str, tmp_path: Path, polls: list[Poll]
) -> list[str]:
    """Node A makes ``polls`` (each: the feeds it polls, then what changes after), queueing
    the items for the assigner; node B, which holds the role, assigns them all in one round.
    The headlines of the "new" alerts sent."""
    async with webhook_receiver() as hook:
        conn = await asyncpg.connect(pg_url)  # node B's session: it holds the role
        try:
            term = await take_assigner_role(conn)
            queued = 0
            for paths, then in polls:
                urls = [feed_server.url(path) for path in paths]
                config = make_config(tmp_path, urls, HOOK_RULE.format(url=hook.url),
                                     database=pg_url)  # fmt: skip
                queued += await poll_to_queue(config)
                then()
            await assign_queued(config, term, queued)
        finally:
            await conn.close()
    return sorted(p["alert"]["title"] for p in hook.payloads() if p["alert"]["kind"] == "new")


async def test_the_assigner_takes_a_cold_starts_undated_items_as_untimed(
    feed_server: FeedServer, pg_url: str, tmp_path: Path
) -> None:
    feed_server.feed("/f0", rss("outlet0", [(BOLSONARO, None)]))
    feed_server.feed("/f1", rss("outlet1", [(INVITE, None), (RAIN, None)]))
    polls: list[Poll] = [(["/f0", "/f1"], lambda: None)]
    said = await polled_on_one_node_assigned_on_another(feed_server, pg_url, tmp_path, polls)
    assert len(said) == 2, said
    assert said[0].startswith(BOLSONARO) and said[1].startswith(INVITE), said


NOW = datetime.now(UTC)
STAMP = NOW - timedelta(minutes=5)
# f0's first poll: 98 items, each at its own date (ids 1..98)
DATED = [(title, NOW - timedelta(minutes=10 + n)) for n, title in enumerate(fillers(101)[:98])]
# (f0's first poll, f1's, the alerts: the same as one process sends). The assigner takes the
# queue in slices of a hundred items, which cut f1's first poll after its first two items:
SLICED = [
    pytest.param(DATED, [(RAIN, STAMP), ("Markets close higher on tech", STAMP),
                         (BOLSONARO, STAMP)], 2,
                 id="a stamped first poll cut by a slice is untimed whole"),
    pytest.param(DATED[:97], [(title, NOW - timedelta(minutes=20 + 10 * n))
                              for n, title in enumerate(fillers(101)[98:])]
                 + [(RAIN, STAMP), ("Markets close higher on tech", STAMP), (BOLSONARO, STAMP)],
                 1, id="an aggregator's one-second tail cut off by a slice stays timed"),
]  # fmt: skip


@pytest.mark.parametrize(("f0", "f1", "alerts"), SLICED)
async def test_the_assigner_decides_nothing_of_a_polls_items_again(
    feed_server: FeedServer,
    pg_url: str,
    tmp_path: Path,
    f0: list[tuple[str, datetime]],
    f1: list[tuple[str, datetime]],
    alerts: int,
) -> None:
    """review19a: the assigner judged "stamped" again over each slice of its queue, slices
    that cut across feeds' polls: a stamped feed's first poll split 2 | 1 looked dated and
    its story folded INVITE (one process: two alerts); an aggregator's three items in one
    second, cut off from their poll's other dates, looked stamped and did not (one process:
    one alert). The poll's own decision, stored with its items, is read back."""
    feed_server.feed("/f0", rss("outlet0", f0))
    feed_server.feed("/f1", rss("outlet1", f1))
    polls: list[Poll] = [
        (["/f0"], lambda: None),  # f0's first poll
        # f1's first poll; then f0 lists INVITE
        (["/f0", "/f1"], lambda: feed_server.feed("/f0", rss("outlet0", [(INVITE, NOW), *f0]))),
        (["/f0", "/f1"], lambda: None),  # f0 with INVITE
    ]
    said = await polled_on_one_node_assigned_on_another(feed_server, pg_url, tmp_path, polls)
    assert len(said) == alerts, said
