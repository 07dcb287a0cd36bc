"""German and French news through the real pipeline (local feeds, SQLite, ``monitor events``
and ``monitor stories``): within the first hour, before the window has learned which words
are common, unrelated items of one language shared only function words ("ein", "nach",
"der", "le", "de") and were one event: "Putin lädt Selenskyj nach Moskau ein" was filed
under a software column's event. They count for nothing, as English ones do; a wire story
re-titled by several outlets still folds into one story."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from feedserver import FeedServer
from helpers import config_file

from monitor import config as config_module
from monitor.cli import main
from monitor.engine import Engine
from monitor.oneshot import poll_all

# A German developer site's column and news: headline and lede, written for this test.
GERMAN = [
    ("Der Architekt: Ein gutes Szenario für die Planung", "Warum ein Szenario mehr sagt als ein Diagramm, und was Teams daraus für die Planung lernen."),
    ("Kolumne: Auslesen und Sortieren von Dateien mit einem Skript", "Wie man mit wenigen Zeilen ein Verzeichnis nach dem Datum sortiert und die Ergebnisse in eine Tabelle schreibt."),
    ("Programmierer-News in ein, zwei Sätzen", "Die Woche im Überblick: ein neuer Compiler, ein Update für den Editor und eine Bibliothek für die Arbeit mit Zeitzonen."),
    ("Anwendungsserver: Version 12 ist nach einem Jahr fertig", "Das Projekt hat die neue Version nach einem Jahr der Entwicklung freigegeben, mit einem schnelleren Start und einer neuen Konsole."),
]  # fmt: skip
INVITE = (
    "Putin lädt Selenskyj nach Moskau ein, Kiew winkt ab",
    "Der russische Präsident hat den ukrainischen Präsidenten zu einem Gipfeltreffen nach "
    "Moskau eingeladen. Die Ukraine lehnt ein Treffen in der russischen Hauptstadt ab.",
)
FRENCH = [
    ("Le Louvre rouvre ses portes après le vol de bijoux", "Le musée a rouvert au public ce matin, trois jours après le vol de huit bijoux de la couronne dans la galerie d'Apollon."),
    ("Tour de France 2026 : le parcours dévoilé à Paris", "Le départ sera donné de Barcelone et la course passera par les Pyrénées avant une arrivée sur les Champs-Élysées."),
]  # fmt: skip
# One wire story as outlets title it: the same words, their own wrappers and tails.
WIRE = [
    "Putin lädt Selenskyj zu Gesprächen nach Moskau ein",
    "Kreml: Putin lädt Selenskyj zu Gesprächen nach Moskau ein",
    "Putin lädt Selenskyj zu Gesprächen nach Moskau ein | tagesschau.de",
    "Poutine invite Zelensky à des pourparlers à Moscou",
    "Poutine invite Zelensky à des pourparlers à Moscou - Le Monde",
    "Le Kremlin : Poutine invite Zelensky à des pourparlers à Moscou",
]


def rss(name: str, items: list[tuple[str, str, float]]) -> bytes:
    """A feed of (headline, lede, minutes ago)."""
    now = datetime.now(UTC)
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>http://{name}.example/{abs(hash(t))}</link>"
        f"<description>{escape(s)}</description>"
        f"<pubDate>{format_datetime(now - timedelta(minutes=ago))}</pubDate></item>"
        for t, s, ago in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{name}'
        f"</title><link>http://{name}.example/</link>{entries}</channel></rss>"
    ).encode()


async def _polled(
    feed_server: FeedServer, tmp_path: Path, feeds: list[list[list[tuple[str, str, float]]]]
) -> Path:
    """Each feed's bodies polled in turn (one a poll), as ``monitor run`` would; the config."""
    for n, bodies in enumerate(feeds):
        feed_server.feed(f"/f{n}", rss(f"f{n}", bodies[0]))
    path = config_file(tmp_path, [feed_server.url(f"/f{n}") for n in range(len(feeds))])
    engine = await Engine.open(config_module.load(path))
    try:
        for poll in range(max(len(bodies) for bodies in feeds)):
            for n, bodies in enumerate(feeds):
                feed_server.feed(f"/f{n}", rss(f"f{n}", bodies[min(poll, len(bodies) - 1)]))
            await poll_all(engine.rt, progress=False)
    finally:
        await engine.close()
    return path


async def _listed(path: Path, what: str, capsys: pytest.CaptureFixture[str]) -> list[Any]:
    capsys.readouterr()
    assert await asyncio.to_thread(main, [what, "--json", "-c", str(path)]) == 0
    listed: list[Any] = json.loads(capsys.readouterr().out)[what]
    return listed


def _titles(event: dict[str, Any]) -> set[str]:
    return {item["title"] for story in event["stories"] for item in story["items"]}


async def test_german_and_french_news_of_other_happenings_stay_apart(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    german = [(t, s, 40.0 - n) for n, (t, s) in enumerate(GERMAN)]
    french = [(t, s, 30.0 - n) for n, (t, s) in enumerate(FRENCH)]
    path = await _polled(
        feed_server, tmp_path, [[german, [(*INVITE, 1.0), *german]], [french, french]]
    )
    events = await _listed(path, "events", capsys)
    assert sorted(map(_titles, events), key=sorted) == sorted(
        ({t} for t, _ in [INVITE, *GERMAN, *FRENCH]), key=sorted
    )


async def test_a_wire_story_retitled_by_outlets_is_one_story(
    feed_server: FeedServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feeds = [[[(title, "", 5.0 - n)]] for n, title in enumerate(WIRE)]
    path = await _polled(feed_server, tmp_path, feeds)
    stories = await _listed(path, "stories", capsys)
    by_title = {item["title"]: s["id"] for s in stories for item in s["items"]}
    assert len({by_title[t] for t in WIRE[:3]}) == 1, stories
    assert len({by_title[t] for t in WIRE[3:]}) == 1, stories
