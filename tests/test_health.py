"""Feed health transitions: one alert when a feed fails too long or goes stale, one on recovery."""

from __future__ import annotations

import pytest

from monitor.feedhealth import FAILING, OK, STALE, Rhythm, transitions
from monitor.store.feeds import FeedState

H = 6 * 3600.0
NOW = 1_000_000.0


def _feed(**kw: object) -> FeedState:
    return FeedState(id=1, url="http://x/feed", **kw)  # type: ignore[arg-type]


def _run(state: FeedState, gap: float | None = None, now: float = NOW) -> list[str]:
    """One check, its events taken as said (as check_feeds does once they are written); the
    feed was never quiet longer than ``gap`` over the week before its last new item."""
    last = state.last_new_item or now
    rhythm = None if gap is None else Rhythm(last - 7 * 86400, last, gap, int(7 * 86400 / gap))
    events = transitions(
        [state], {state.url: "X"}, now=now, health_after=H, rhythms={state.url: rhythm}
    )
    for event in events:
        state.health_alerted = event.said
    return [e.kind for e in events]


def test_failing_longer_than_health_after_alerts_once_then_recovers() -> None:
    state = _feed(failing_since=NOW - H - 1, error_streak=9, last_error="fetch: gone (HTTP 410)")
    events = transitions([state], {}, now=NOW, health_after=H, rhythms={})
    assert [e.kind for e in events] == ["failing"]
    assert "HTTP 410" in events[0].message and "9 polls" in events[0].message
    assert events[0].said == FAILING
    state.health_alerted = FAILING
    assert _run(state) == []  # said once only
    state.failing_since, state.error_streak = None, 0
    assert _run(state) == ["recovered"] and state.health_alerted == OK


def test_failing_briefly_says_nothing() -> None:
    assert _run(_feed(failing_since=NOW - 600, error_streak=2)) == []


def test_stale_against_its_own_rhythm() -> None:
    hourly = _feed(last_new_item=NOW - 10 * 3600)
    assert _run(hourly, gap=3600) == ["stale"] and hourly.health_alerted == STALE
    assert _run(hourly, gap=3600) == []
    hourly.last_new_item = NOW - 60
    assert _run(hourly, gap=3600) == ["recovered"]


def test_a_weekly_feed_is_not_stale_after_a_day() -> None:
    assert _run(_feed(last_new_item=NOW - 86400), gap=7 * 86400) == []


def test_no_rhythm_known_means_no_stale_alert() -> None:
    assert _run(_feed(last_new_item=NOW - 30 * 86400), gap=None) == []


async def _failing_feed(store):  # type: ignore[no-untyped-def]
    """A stored feed that has failed for longer than health_after."""
    from monitor.store import feeds as feed_store

    async with store.transaction() as db:
        state = (await feed_store.sync_feeds(db, ["http://x/feed"]))["http://x/feed"]
    state.failing_since, state.error_streak = NOW - H - 60, 12
    state.last_error = "fetch: the feed is gone for good (HTTP 410)"
    return state


async def test_health_events_are_queued_once_per_channel(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from monitor.feedhealth import check_feeds
    from monitor.store import Store

    store = await Store.open(tmp_path / "m.db")
    try:
        state = await _failing_feed(store)
        for _ in range(2):  # the second check says nothing new
            await check_feeds(
                store, [state], {state.url: "X"}, channels=["ops", "mail"], now=NOW, health_after=H
            )
        async with store.db.raw.execute("SELECT channel, kind, payload FROM alerts ORDER BY id") as cur:
            rows = await cur.fetchall()
        assert [(r[0], r[1]) for r in rows] == [("ops", "health"), ("mail", "health")]
        assert "HTTP 410" in rows[0][2]
        async with store.db.raw.execute("SELECT health_alerted FROM feeds") as cur:
            assert (await cur.fetchone())[0] == FAILING  # remembered across restarts
        state.failing_since, state.error_streak = None, 0
        await check_feeds(
            store, [state], {state.url: "X"}, channels=["ops"], now=NOW, health_after=H
        )
        async with store.db.raw.execute(
            "SELECT COUNT(*) FROM alerts WHERE payload LIKE '%working again%'"
        ) as cur:
            assert (await cur.fetchone())[0] == 1
    finally:
        await store.close()


async def test_a_health_alert_that_could_not_be_written_is_raised_again(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from monitor.errors import StoreError
    from monitor.feedhealth import check_feeds
    from monitor.store import Store

    store = await Store.open(tmp_path / "m.db")
    try:
        state = await _failing_feed(store)
        await store.db.raw.execute("PRAGMA query_only = ON")  # the store refuses every write
        with pytest.raises(StoreError):
            await check_feeds(
                store, [state], {state.url: "X"}, channels=["ops"], now=NOW, health_after=H
            )
        await store.db.raw.execute("PRAGMA query_only = OFF")
        events = await check_feeds(
            store, [state], {state.url: "X"}, channels=["ops"], now=NOW, health_after=H
        )
        assert [e.kind for e in events] == ["failing"]  # not forgotten by the failed write
        async with store.db.raw.execute("SELECT COUNT(*) FROM alerts") as cur:
            assert (await cur.fetchone())[0] == 1
    finally:
        await store.close()


async def test_a_poll_saving_its_feed_meanwhile_does_not_record_an_unwritten_health_alert(
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    """The check decides "failing", then waits for the writer while a poll of that feed
    commits its state; the check's own write then fails. After a restart the alert must still
    be raised: the poll must not have stored "alerted" for it."""
    import asyncio

    from monitor.errors import StoreError
    from monitor.feedhealth import check_feeds
    from monitor.store import Store
    from monitor.store import feeds as feed_store

    store = await Store.open(tmp_path / "m.db")
    try:
        state = await _failing_feed(store)
        async with store.transaction() as db:  # a poll of the feed holds the writer
            check = asyncio.ensure_future(
                check_feeds(
                    store, [state], {state.url: "X"}, channels=["ops"], now=NOW, health_after=H
                )
            )
            await asyncio.sleep(0.2)  # the check has decided and waits for the writer
            await feed_store.save_state(db, state)  # the poll saves its feed's state
        await store.db.raw.execute("PRAGMA query_only = ON")  # the check's write will fail
        with pytest.raises(StoreError):
            await check
        await store.db.raw.execute("PRAGMA query_only = OFF")
        # A restart: the states as the store has them.
        fresh = [s for s in await feed_store.all_feeds(store.db) if s.url == state.url]
        events = await check_feeds(
            store, fresh, {state.url: "X"}, channels=["ops"], now=NOW, health_after=H
        )
        assert [e.kind for e in events] == ["failing"]
        async with store.db.raw.execute("SELECT COUNT(*) FROM alerts") as cur:
            assert (await cur.fetchone())[0] == 1
    finally:
        await store.close()
