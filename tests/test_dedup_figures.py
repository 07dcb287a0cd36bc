"""A revised figure is news, not a copy (explore9: "Magnitude 7.4 earthquake hits northern
Chile" joined the 6.1 story as another outlet's copy, and the reader never heard of 7.4).

Two headlines whose figures disagree (each has one the other lacks) are two stories; their
event joins them, so the new figure reaches the reader as the event's update. The same
figure written another way, or a date or time one outlet adds, is still one story."""

from __future__ import annotations

from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import webhook_receiver
from test_events_alerts import rss

from monitor.dedup.config import DedupConfig
from monitor.dedup.index import StoryIndex
from monitor.dedup.score import is_duplicate
from monitor.engine import Engine
from monitor.oneshot import poll_all

CONFIG = DedupConfig()
NOW = 1_700_000_000.0

REVISED = [
    ("Fed raises rates by 25 basis points", "Fed raises rates by 50 basis points"),
    ("Magnitude 6.1 earthquake hits northern Chile",
     "Magnitude 7.4 earthquake hits northern Chile"),
    ("Flight 370 missing over South China Sea", "Flight 371 missing over South China Sea"),
    ("Toyota recalls 6.4 million vehicles over airbags",
     "Toyota recalls 1.6 million vehicles over airbags"),
    ("Grain market note 17 for region 17 and port 4",
     "Grain market note 18 for region 18 and port 5"),
]  # fmt: skip

SAME_FIGURE = [
    ("Fed raises rates by 25bp", "Fed raises rates by 25 basis points"),
    ("7.4 earthquake hits northern Chile", "7.4-magnitude earthquake hits northern Chile"),
    ("Company sells its chip unit for $1.2 billion", "Company sells its chip unit for $1.2bn"),
    ("Carmaker cuts 1,000 jobs in Ohio", "Carmaker cuts 1000 jobs in Ohio"),
    ("AOL to sell 800 patents to Microsoft for $1.0 bn",
     "AOL to sell 800 patents to Microsoft for $1 billion"),
    ("Carmaker cuts two thousand jobs in Ohio", "Carmaker cuts 2 thousand jobs in Ohio"),
    # A date or a time one outlet adds is no substitution.
    ("Magnitude 7.4 earthquake hits northern Chile",
     "Magnitude 7.4 earthquake hits northern Chile on Tuesday"),
    ("Magnitude 7.4 earthquake hits northern Chile",
     "Magnitude 7.4 earthquake hits northern Chile at 10:30 GMT"),
    ("Quake hits northern Chile", "Magnitude 7.4 quake hits northern Chile"),
]  # fmt: skip


@pytest.mark.parametrize(("a", "b"), REVISED)
def test_headlines_whose_figures_disagree_are_two_stories(a: str, b: str) -> None:
    for x, y in ((a, b), (b, a)):
        score, duplicate = is_duplicate(x, y, CONFIG)
        assert not duplicate, (x, y, score)


@pytest.mark.parametrize(("a", "b"), SAME_FIGURE)
def test_the_same_figure_written_another_way_is_one_story(a: str, b: str) -> None:
    for x, y in ((a, b), (b, a)):
        score, duplicate = is_duplicate(x, y, CONFIG)
        assert duplicate, (x, y, score)


def test_numbered_notes_of_one_template_do_not_fold_into_one_story() -> None:
    """explore9: 1,000 "Grain market note N for region ..." items made one story."""
    index = StoryIndex(CONFIG)
    stories = set()
    for i in range(300):
        title = f"Grain market note {i} for region {i % 89} and port {i % 13}"
        found = index.find(title, "", NOW + i)
        story = i if found.story_id is None else found.story_id
        index.add(story, i, title, "", NOW + i)
        stories.add(story)
    assert len(stories) == 300


QUAKE = "Magnitude 6.1 earthquake hits northern Chile"
REVISION = "Magnitude 7.4 earthquake hits northern Chile"


async def two_outlets(
    feed_server: FeedServer, tmp_path: Path, alert_on: str, query: str, first: str, second: str
) -> list[str]:
    """Outlet A's headline ``first``, then a poll later outlet B's ``second``, through a rule
    on ``query`` to a webhook: the texts the webhook received, in order."""
    feed_server.feed("/a", rss("A", [(first, "http://a.example/1")]))
    feed_server.feed("/b", rss("B", []))
    async with webhook_receiver() as hook:
        extra = f"""
[[rules]]
name = "r"
query = "{query}"
channels = ["hook"]
alert_on = "{alert_on}"

[channels.hook]
type = "webhook"
url = "{hook.url}"
update_delay = "0s"
"""
        urls = [feed_server.url("/a"), feed_server.url("/b")]
        engine = await Engine.open(make_config(tmp_path, urls, extra=extra))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            feed_server.feed("/b", rss("B", [(second, "http://b.example/1")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    return [p["text"] for p in hook.payloads()]


@pytest.mark.parametrize("alert_on", ["story", "event"])
async def test_the_revised_figure_reaches_the_reader(
    feed_server: FeedServer, tmp_path: Path, alert_on: str
) -> None:
    """Outlet A says 6.1, outlet B a poll later 7.4: the webhook hears of 7.4 (as the
    event's update, or a story's alert of its own), not only of 6.1."""
    texts = await two_outlets(feed_server, tmp_path, alert_on, "earthquake", QUAKE, REVISION)
    assert len(texts) == 2, texts
    assert "6.1" in texts[0] and "7.4" not in texts[0], texts
    assert "7.4" in texts[1], texts
