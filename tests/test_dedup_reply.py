"""A reply is its own story: "Zelensky rejects Putin's Moscow invitation" scores near 90
against "Putin invites Zelensky to Moscow for talks", yet the rejection is news the reader
must get, not another outlet's copy of the invitation. The score, the story index, the
explanation of ``monitor dedup-check`` and the daemon's alerts (local feeds, the Bot API
stand-in, a webhook receiver) all say so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from feedserver import FeedServer
from helpers import make_config
from standins import BOT_TOKEN, CHAT_ID, telegram_standin, webhook_receiver
from test_events_alerts import rss

from monitor.cli import main
from monitor.dedup.config import DedupConfig
from monitor.dedup.index import StoryIndex
from monitor.dedup.score import is_duplicate, verdict
from monitor.engine import Engine
from monitor.oneshot import poll_all

CONFIG = DedupConfig()
INVITES = "Putin invites Zelensky to Moscow for talks"
REJECTS = "Zelensky rejects Putin's Moscow invitation"
NOW = 1_700_000_000.0

# (what was reported, the reply to it): each pair scores above the threshold on its words.
REPLIES = [
    (INVITES, REJECTS),
    # UCI News, 11 March 2014 (Reuters' headline, then the rebels' answer on another outlet)
    ("Libya says halts tanker outside rebel port, plans military offensive",
     "Libya says halts tanker outside rebel port; rebels deny it"),
    # STS headlines (test set): graded 2.8 of 5, "roughly equivalent, details differ"
    ("Saudi Arabia gets a seat at the UN Security Council",
     "Saudi Arabia rejects seat on UN Security Council"),
    ("Kremlin says Ukrainian troops shelled Donetsk",
     "Kremlin dismisses report that Ukrainian troops shelled Donetsk"),
    ("EU proposes new sanctions on Russia over Crimea",
     "Kremlin condemns new EU sanctions on Russia over Crimea"),
    ("Regulator publishes report on the Dover ferry crash",
     "Ferry operator rejects regulator's report on Dover crash"),
    pytest.param(
        "Regulator publishes report on the Dover ferry crash",
        "Ferry operator hits back at regulator's report on Dover crash",
        marks=pytest.mark.xfail(
            strict=True,
            reason="known limit: 'hits back', 'fires back' are no reply to the rule: without "
            "stop words and punctuation, 'hits back at' reads as 'Storm hits, back to school'",
        ),
    ),
    ("Putin invites Zelensky to Moscow for negotiations",
     "Zelensky rejects Putin's invitation to Moscow summit"),
    # Replies of two kinds are two stories as well.
    ("Zelensky accepts Putin's Moscow invitation", REJECTS),
]  # fmt: skip

# Copies of one reply, the verb in both (or one of its kind, in any form): one story.
COPIES = [
    ("Zelensky rejects Putin invitation", "Zelensky rejects invitation from Putin to Moscow"),
    (REJECTS, "Zelensky rebuffs Putin's invitation to Moscow"),
    ("EBay rejects Icahn board nominees, asks investors to do same",
     "UPDATE 1-EBay rejects Icahn board nominees - Reuters"),
    ("Germany rejects Snowden claim it bowed to NSA",
     "Germany rejected Snowden's claim that it bowed to NSA"),
    # A reply verb in a set phrase is no reply.
    ("Li Na wins Australian Open, her second grand slam title",
     "Li Na wins Australian Open, her second major title"),
]  # fmt: skip


@pytest.mark.parametrize(("said", "reply"), REPLIES)
def test_a_reply_is_not_a_copy_of_what_it_answers(said: str, reply: str) -> None:
    score, duplicate = is_duplicate(said, reply, CONFIG)
    assert score >= CONFIG.threshold  # alike by its words: the rule, not the score, parts them
    assert not duplicate
    assert not is_duplicate(reply, said, CONFIG)[1]
    index = StoryIndex(CONFIG)
    index.add(1, 1, said, "", NOW)
    assert index.find(reply, "", NOW + 60).story_id is None


@pytest.mark.parametrize(
    ("a", "b"),
    [
        *COPIES,
        pytest.param(
            REJECTS,
            "Zelenskiy turns down Putin's Moscow invitation",
            marks=pytest.mark.xfail(
                strict=True,
                reason="known limit: 'turns down', 'rules out', 'hits out' are no reply to the "
                "rule, their particle being a stop word (and 'turns' alone no reply), so a copy "
                "worded so is parted from one that says 'rejects'",
            ),
        ),
    ],
)
def test_copies_of_one_reply_are_one_story(a: str, b: str) -> None:
    assert is_duplicate(a, b, CONFIG)[1]
    index = StoryIndex(CONFIG)
    index.add(1, 1, a, "", NOW)
    assert index.find(b, "", NOW + 60).story_id == 1


# Copies that the rule parted on 7699ef3 (review14b): a name or a noun is no reply verb, nor
# is a verb that "back" follows in another clause; every form of "strike" is one word.
NO_REPLY_COPIES = [
    ("Ukraine PM Denys Shmyhal visits Berlin for aid talks",
     "Ukraine PM Shmyhal visits Berlin for aid talks"),
    ("Azov commander Denys Prokopenko freed in prisoner swap",
     "Azov commander Prokopenko freed in prisoner swap"),
    ("Separatist leader Denis Pushilin says Donetsk vote to go ahead",
     "Separatist leader Pushilin says Donetsk vote to go ahead"),
    ("Israel strikes back at Hamas after rocket fire",
     "Israel struck back at Hamas after rocket fire"),
    ("Storm hits, back to school delayed in Texas", "Storm delays back to school in Texas"),
    ("Inflation hits back-to-school spending, survey shows",
     "Survey shows inflation hurting back-to-school spending"),
    # Title Case, then read as sentence case for a word or two in lower case, where
    # capitals mark names: "Dismisses" is a name there, and in both the same reply
    ("Pakistan Dismisses Case Against FBI Agent", "Pakistan Dismisses Case against FBI agent"),
    ("Pakistan Dismisses Case Against FBI Agent",
     "Pakistan Dismisses Case Against FBI Agent, report says"),
    ("Ukraine PM Denys Shmyhal visits Berlin for aid talks",
     "Ukraine PM Denys Shmyhal Visits Berlin For Aid Talks"),
    ("Separatist leader Denis Pushilin denies report of vote delay",
     "Pushilin denies report of vote delay"),
    pytest.param(
        "Poll: most respondents say Biden should not run again",
        "Poll: most say Biden should not run again",
        marks=pytest.mark.xfail(
            strict=True,
            reason="known limit: the rule reads stems, and 'respondents' is 'responds' to it "
            "('dismissive' is 'dismisses')",
        ),
    ),
]  # fmt: skip


@pytest.mark.parametrize(("a", "b"), NO_REPLY_COPIES)
def test_a_name_or_another_clause_is_no_reply(a: str, b: str) -> None:
    """Two outlets' copies, one naming the person in full or wording it otherwise: one
    story (on 7699ef3 two: 'deni' from "Denys", 'strike back', 'hit back'). A word that is
    a name in one and not in the other is the same word in both (the last four pass on
    7699ef3 and fail if names are skipped whatever the other headline says)."""
    verdict_ = verdict(a, b, CONFIG)
    assert verdict_.score >= CONFIG.threshold and not verdict_.apart, verdict_
    assert verdict_.duplicate
    index = StoryIndex(CONFIG)
    index.add(1, 1, a, "", NOW)
    assert index.find(b, "", NOW + 60).story_id == 1


def _index_joins(*said: str, then: str) -> bool:
    """Whether ``then`` joins the story of ``said`` (the first its first headline, the
    others joined under its URL, as an outlet's rewrite of the article)."""
    index = StoryIndex(CONFIG)
    for item, title in enumerate(said, 1):
        index.find(title, "", NOW + item, URL, URL)
        index.add(1, item, title, "", NOW + item, URL, URL)
    return index.find(then, "", NOW + 60).story_id == 1


URL = "https://sport.example/wawrinka"
SLAM = "Wawrinka reaches first grand slam final"


@pytest.mark.parametrize(
    ("said", "then"),
    [
        (("Storm hits, back to school delayed in Texas",),
         "Back to school delayed in Texas as storm hits"),
        # "grand slam" is a set phrase, "final slam" is not (this pair is from the stream
        # of bench/dedup_speed.py, which reorders words)
        ((SLAM,), "Wawrinka reaches first grand final slam"),
        # a story whose first headline has the words of the new one, joined through another
        ((SLAM, "Wawrinka reaches first grand final slam, says coach"),
         "Wawrinka reaches first grand final slam"),
    ],
)  # fmt: skip
def test_the_index_does_what_dedup_check_says(said: tuple[str, ...], then: str) -> None:
    """The same words in another order: the index (its same-words lookup, its score against
    the story's first headline) joins exactly when ``dedup-check`` against the story's first
    headline says one story (on 7699ef3 it joined all three)."""
    assert verdict(said[0], then, CONFIG).score == 100.0
    assert _index_joins(*said, then=then) == verdict(said[0], then, CONFIG).duplicate


def test_a_reply_does_not_join_through_a_story_that_holds_one() -> None:
    """A story may hold a reply that came under the link of its first item (an outlet's
    article rewritten): a copy of that reply joins only a story whose first headline it can
    join too, and the invitation's first headline is not the rejection."""
    index = StoryIndex(CONFIG)
    index.add(1, 1, INVITES, "", NOW, "https://wire.example/talks")
    assert index.find(REJECTS, "", NOW + 60, "https://wire.example/talks").story_id == 1
    index.add(1, 2, REJECTS, "", NOW + 60, "https://wire.example/talks")
    found = index.find("Zelensky rejects Putin's invitation to Moscow talks", "", NOW + 120)
    assert found.story_id is None


def test_dedup_check_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dedup-check", INVITES, REJECTS]) == 0
    story = capsys.readouterr().out.splitlines()[0]
    assert story.startswith("story: score ") and ": different stories: " in story
    assert 'B reports a reply ("rejects") that A does not' in story
    assert main(["dedup-check", "--json", REJECTS, INVITES]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["duplicate"] is False and result["score"] >= result["threshold"]
    assert result["reply_apart"] == {"a": ["rejects"], "b": []}
    assert main(["dedup-check", "--json", *COPIES[0]]) == 0
    assert json.loads(capsys.readouterr().out)["reply_apart"] is None
    bank = (
        "Bank of England faces forex allegations",
        "Bank of England denied forex allegations",
    )
    assert main(["dedup-check", *bank]) == 0
    assert 'B reports a reply ("denied")' in capsys.readouterr().out


def test_dedup_check_pairs_say_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(f"{INVITES}\t{REJECTS}\n{COPIES[0][0]}\t{COPIES[0][1]}\n", encoding="utf-8")
    assert main(["dedup-check", "--pairs", str(pairs)]) == 0
    reply, copy = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert reply["duplicate"] is False and reply["reply_apart"] == {"a": [], "b": ["rejects"]}
    assert copy == {"score": copy["score"], "duplicate": True}


def _channels(tg_url: str, hook_url: str) -> str:
    return f"""
[[rules]]
name = "peace-talks"
query = 'Putin OR Zelensky'
channels = ["desk", "hook"]
alert_on = "story"

[channels.desk]
type = "telegram"
bot_token = "{BOT_TOKEN}"
chat_id = "{CHAT_ID}"
api_base = "{tg_url}"
rate_limit = "off"
update_delay = "0s"

[channels.hook]
type = "webhook"
url = "{hook_url}"
update_delay = "0s"
"""


async def test_the_daemon_sends_the_rejection_as_news(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """The invitation on one outlet, then the rejection on another: the rejection comes as a
    "new" message with its own headline, not as one more outlet of the invitation."""
    feed_server.feed("/wire", rss("Wire", [(INVITES, "http://wire.example/talks")]))
    feed_server.feed("/kyiv", rss("Kyiv", [("Weather: rain in the west", "http://kyiv.example/w")]))
    urls = [feed_server.url("/wire"), feed_server.url("/kyiv")]
    async with telegram_standin() as tg, webhook_receiver() as hook:
        engine = await Engine.open(make_config(tmp_path, urls, extra=_channels(tg.url, hook.url)))
        try:
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
            assert len(tg.sent) == 1 and "invites Zelensky" in tg.sent[0]["text"]
            feed_server.feed("/kyiv", rss("Kyiv", [(REJECTS, "http://kyiv.example/no")]))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    assert len(tg.sent) == 2, [m["text"][:60] for m in tg.sent]
    assert "rejects Putin" in tg.sent[1]["text"] and not tg.edits
    new = [p["alert"] for p in hook.payloads() if p["alert"]["kind"] == "new"]
    assert [a["url"] for a in new] == ["http://wire.example/talks", "http://kyiv.example/no"]
    assert not [p for p in hook.payloads() if p["alert"]["kind"] != "new"]
