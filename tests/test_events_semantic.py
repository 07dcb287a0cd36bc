"""The optional semantic extra: a headline in another language joins the event it is about.

The English headline is the seed story's (Kremlin, 5 Sep 2025); the others say the same in
Russian, Ukrainian, German and Spanish, as outlets in those languages headlined it.
"""

from __future__ import annotations

import pytest

from monitor.events import EventConfig, EventIndex
from monitor.events.semantic import UniversalSentenceEncoder, available

pytestmark = pytest.mark.skipif(not available(), reason="the semantic extra is not installed")

T0 = 1_757_080_000.0
SEED = "Putin's Moscow invitation to Zelensky for talks and not surrender - Kremlin"
NOISE = [
    "Stocks close higher as oil prices fall",
    "Heavy rain floods roads across the north of England",
    "Apple unveils a cheaper iPhone for emerging markets",
    "Football club sacks manager after cup defeat",
]
TRANSLATIONS = [
    ("ru", "Кремль: Путин пригласил Зеленского в Москву на переговоры, а не для капитуляции"),
    ("uk", "Кремль: Путін запросив Зеленського до Москви на переговори, а не капітулювати"),
    ("de", "Kreml: Putin lädt Selenskyj zu Gesprächen nach Moskau ein, nicht zur Kapitulation"),
    ("es", "El Kremlin: Putin invita a Zelenski a Moscú para negociar, no para rendirse"),
]
UNRELATED_RU = "В Москве открылась выставка современного искусства"

_ENCODER = UniversalSentenceEncoder()


def _index(embedder: UniversalSentenceEncoder | None) -> EventIndex:
    index = EventIndex(EventConfig(), 72 * 3600.0, embedder)
    for i, title in enumerate([*NOISE, SEED]):
        index.add(i, i, title, "", T0 + 60 * i)
    return index


@pytest.mark.parametrize(("language", "title"), TRANSLATIONS)
def test_a_translated_headline_joins_its_event(language: str, title: str) -> None:
    seed_event = len(NOISE)
    found = _index(_ENCODER).find(100, title, "", T0 + 1800)
    assert found.event_id == seed_event, found
    if language in ("ru", "uk"):
        # Another script: without the extra, words alone cannot see it (a new event).
        assert found.reason == "similar meaning"
        assert _index(None).find(100, title, "", T0 + 1800).event_id is None


def test_other_news_in_that_language_stays_apart() -> None:
    assert _index(_ENCODER).find(100, UNRELATED_RU, "", T0 + 1800).event_id is None
