"""News in German, French, Spanish and Portuguese through the real pipeline (local feeds,
SQLite, ``monitor events`` and ``monitor stories``). explore14: in a young window (before it
has learned which words are common), unrelated items of one language shared only their
function words ("ein", "nach", "der", "le", "de") and were one event: "Putin lädt Selenskyj
nach Moskau ein" was filed under a software column's event. Those words now count for nothing
in a text of their language (``monitor.dedup.languages``), told from headline and summary
together; English text keeps every word it kept ("Jack Ma", "Lana Del Rey", "Nun, 86"), and
a wire story re-titled by several outlets still folds into one story."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape
from zlib import crc32

import pytest
from conftest import shared
from feedserver import FeedServer
from helpers import config_file, make_config
from standins import BOT_TOKEN, CHAT_ID, telegram_standin
from test_events_name_words import DESK

from monitor import config as config_module
from monitor.cli import main
from monitor.dedup.headline import parse
from monitor.engine import Engine
from monitor.oneshot import poll_all

Entry = tuple[str, str, float]  # headline, summary, minutes ago


def rss(name: str, items: list[Entry]) -> bytes:
    now = datetime.now(UTC)
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>http://{name}.example/{crc32(t.encode())}</link>"
        f"<description>{escape(s)}</description>"
        f"<pubDate>{format_datetime(now - timedelta(minutes=ago))}</pubDate></item>"
        for t, s, ago in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{name}'
        f"</title><link>http://{name}.example/</link>{entries}</channel></rss>"
    ).encode()


async def _polled(feed_server: FeedServer, tmp_path: Path, polls: list[list[list[Entry]]]) -> Path:
    """Each poll's bodies of the feeds (one list of items a feed) read in turn, as ``monitor
    run`` would; the config's path."""
    count = len(polls[0])
    path = config_file(tmp_path, [feed_server.url(f"/f{n}") for n in range(count)])
    engine = await Engine.open(config_module.load(path))
    try:
        for bodies in polls:
            for n, items in enumerate(bodies):
                feed_server.feed(f"/f{n}", rss(f"f{n}", items))
            await poll_all(engine.rt, progress=False)
    finally:
        await engine.close()
    return path


async def _listed(path: Path, what: str, capsys: pytest.CaptureFixture[str]) -> list[Any]:
    capsys.readouterr()
    assert await asyncio.to_thread(main, [what, "--json", "-c", str(path)]) == 0
    listed: list[Any] = json.loads(capsys.readouterr().out)[what]
    return listed


def _titles(event: dict[str, Any]) -> frozenset[str]:
    return frozenset(item["raw_title"] for story in event["stories"] for item in story["items"])


async def _events(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], polls: Any
) -> set[frozenset[str]]:
    path = await _polled(feed_server, tmp_path, polls)
    return set(map(_titles, await _listed(path, "events", capsys)))


async def _story_of(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], titles: list[str]
) -> dict[str, int]:
    """Each headline in a feed of its own, one poll: the story each went to."""
    path = await _polled(
        feed_server, tmp_path, [[[(t, "", 30.0 - n)] for n, t in enumerate(titles)]]
    )
    stories = await _listed(path, "stories", capsys)
    return {item["raw_title"]: s["id"] for s in stories for item in s["items"]}


# A German IT site's feed (headline and lede, written for this test): each item another piece.
IT_DESK = [
    ("Kolumne: Ein Blick auf die neue Version von Python", "In der Kolumne geht es um die neuen Funktionen, die mit der Version kommen, und was sie für die Arbeit im Team bedeuten."),
    ("Datenbanken: Ein Index für die schnelle Suche nach Texten", "Wie man mit einem Index die Suche in einer großen Tabelle beschleunigt und was das für den Speicher bedeutet."),
    ("Werkzeuge der Woche: ein Editor, ein Debugger und eine Shell", "Die Woche im Überblick: ein neuer Editor für das Terminal, ein Debugger für Rust und eine Shell mit Vorschlägen."),
]  # fmt: skip
INVITE = (
    "Putin lädt Selenskyj nach Moskau ein",
    "Der russische Präsident hat den ukrainischen Präsidenten zu einem Treffen nach Moskau "
    "eingeladen. In Kiew wird die Einladung als Provokation abgelehnt.",
)
# A French paper's feed: two other happenings, one day.
PARIS = [
    ("Le musée d'Orsay ferme ses portes pour travaux", "Le musée sera fermé au public pendant six mois, le temps de rénover la toiture de la grande nef."),
    ("Tour de France : le parcours de l'édition 2026 dévoilé", "Le départ sera donné de Barcelone et la course passera par les Alpes avant l'arrivée sur les Champs-Élysées."),
    ("Le prix de l'essence en hausse", "Le litre de gazole a pris trois centimes en une semaine, selon les chiffres du ministère."),
]  # fmt: skip


async def test_german_and_french_news_of_other_happenings_are_events_of_their_own(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    german = [(t, s, 40.0 - n) for n, (t, s) in enumerate(IT_DESK)]
    french = [(t, s, 30.0 - n) for n, (t, s) in enumerate(PARIS)]
    polls = [[german, french], [[(*INVITE, 1.0), *german], french]]
    events = await _events(feed_server, tmp_path, capsys, polls)
    assert events == {frozenset([t]) for t, _ in [INVITE, *IT_DESK, *PARIS]}


# Short French items whose function words are English words too ("le", "la", "de", "en"),
# all or all but one: three different ones or more tell French.
SHORT = [
    ("Le maire de Lyon en visite", "Le maire de la ville a visité le quartier de la gare en fin de matinée."),
    ("La finale de la Coupe en mai", "La finale de la compétition se jouera le 24 mai au Stade de France."),
    ("Le prix du pain en hausse", "Le prix de la baguette a pris dix centimes en un an."),
    ("La grève de la RATP en vue", "La CGT appelle à la grève de la RATP en janvier."),
]  # fmt: skip


async def test_short_french_news_of_other_happenings_are_events_of_their_own(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    polls = [[[(t, s, 20.0 - n)] for n, (t, s) in enumerate(SHORT)]]
    events = await _events(feed_server, tmp_path, capsys, polls)
    assert events == {frozenset([t]) for t, _ in SHORT}


RULE = (
    """
[[rules]]
name = "putin"
query = 'Putin'
channels = ["desk"]
"""
    + DESK
)


async def test_the_invitation_is_an_alert_of_its_own_not_the_columns_update(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    """What the desk receives: the invitation as news of its own; filed under the column's
    event, its alert told "1 outlet, 4 angles": the column's three pieces counted as its
    angles."""
    feed_server.feed("/f0", rss("f0", [(t, s, 40.0 - n) for n, (t, s) in enumerate(IT_DESK)]))
    async with telegram_standin() as tg:
        extra = RULE.format(token=BOT_TOKEN, chat=CHAT_ID, url=tg.url)
        engine = await Engine.open(make_config(tmp_path, [feed_server.url("/f0")], extra=extra))
        try:
            await poll_all(engine.rt, progress=False)
            body = [(*INVITE, 1.0), *[(t, s, 40.0 - n) for n, (t, s) in enumerate(IT_DESK)]]
            feed_server.feed("/f0", rss("f0", body))
            await poll_all(engine.rt, progress=False)
            assert await engine.drain(20)
        finally:
            await engine.close()
    texts = [str(m["text"]) for m in tg.sent]
    assert len(texts) == 1, texts
    assert INVITE[0] in texts[0] and "angles" not in texts[0], texts[0]


# One wire story as outlets title it: their own wrappers, tails and articles.
WIRE = [
    ["Putin lädt Selenskyj zu Gesprächen nach Moskau ein", "Kreml: Putin lädt Selenskyj zu Gesprächen nach Moskau ein", "Putin lädt Selenskyj zu Gesprächen nach Moskau ein | tagesschau.de"],
    ["Poutine invite Zelensky à des pourparlers à Moscou", "Poutine invite Zelensky à des pourparlers à Moscou - Le Monde"],
    ["Die Bahn erhöht die Preise für das Deutschlandticket", "Bahn erhöht die Preise für das Deutschlandticket ab Januar"],
    ["Le pape François est mort", "Le pape François est mort à l'âge de 88 ans"],
    ["Pedro Sánchez convoca elecciones para el 23 de julio", "Sánchez convoca elecciones generales para el 23 de julio"],
    ["Incendio en Valencia deja diez muertos", "Un incendio en Valencia deja diez muertos"],
]  # fmt: skip


async def test_a_wire_story_retitled_by_outlets_is_one_story(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story = await _story_of(feed_server, tmp_path, capsys, [t for copies in WIRE for t in copies])
    split = [copies for copies in WIRE if len({story[t] for t in copies}) > 1]
    assert split == []


# English headlines whose telling word is a function word of another language ("Ma", "Di",
# "Del", "Nun"): 073e0db dropped it from every text, and each pair became one story.
ENGLISH_PAIRS = [
    ("Jack Ma steps down as Alibaba chairman", "Jack Dorsey steps down as Twitter chairman"),
]


async def test_english_names_that_are_foreign_function_words_keep_stories_apart(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story = await _story_of(
        feed_server, tmp_path, capsys, [t for pair in ENGLISH_PAIRS for t in pair]
    )
    joined = [pair for pair in ENGLISH_PAIRS if story[pair[0]] == story[pair[1]]]
    assert joined == []


# Each word is news (an English name or noun, another language's content word) kept as one.
KEPT = {
    "Top Dem says Senate will vote": "dem", "Tot dies after fall from window": "tot",
    "Tiger Woods shoots two under par": "par", "Con man jailed for fraud": "con",
    "Han Kang wins Nobel Prize in literature": "han", "Lana Del Rey announces tour": "del",
    "Jack Ma steps down at Alibaba": "ma", "Lake Como floods": "como",
    "Nas releases new album": "nas", "Princess Di statue unveiled": "di",
    "Der Papst ist tot": "tot", "Lo Stato paga i debiti": "stato",
    "Guerra en el este de Ucrania": "est",
}  # fmt: skip


def test_news_words_are_not_taken_for_function_words() -> None:
    lost = {t: w for t, w in KEPT.items() if w not in parse(t).words}
    assert lost == {}


@pytest.mark.parametrize("name", ["uolNoticias.rss", "heise.atom"])
async def test_a_real_foreign_feeds_items_are_not_joined_on_function_words(
    name: str, feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """heise (German) and UOL (Portuguese, Latin-1), as captured: each item is news of its
    own; an event of two would be a join on "der", "die", "de", "em"."""
    feed_server.feed("/f", shared("real-feeds", name).read_bytes())
    path = config_file(tmp_path, [feed_server.url("/f")])
    engine = await Engine.open(config_module.load(path))
    try:
        await poll_all(engine.rt, progress=False)
    finally:
        await engine.close()
    events = await _listed(path, "events", capsys)
    assert [sorted(_titles(e)) for e in events if len(_titles(e)) > 1] == []
