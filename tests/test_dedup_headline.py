"""headline.parse, made faster, parses every headline as before: the same ``Headline`` and the
same ``key()`` (the store keeps keys across restarts under ``KEY_VERSION``, so a change of
either would need a new version). The reference below is the parse of KEY_VERSION 1 as it
was written first, word for word."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.dedup import headline
from monitor.dedup.headline import DATE_WORDS, STOP_WORDS, Headline, parse, strip_outlet

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _reference(title: str) -> Headline:
    core = headline._THOUSANDS.sub(
        "", headline._ACRONYM.sub(lambda m: m.group().replace(".", ""), strip_outlet(title))
    )
    raw = [w for w in headline._WORD.findall(core) if w.casefold() not in STOP_WORDS]
    words = tuple(headline._canonical(w) for w in raw)
    lower = sum(1 for w in raw if w[:1].islower())
    title_case = lower <= len(raw) // 8
    shouted = core.isupper()
    names = frozenset(
        stem
        for i, (w, stem) in enumerate(zip(raw, words, strict=True))
        if not w[:1].isdigit()
        and stem not in DATE_WORDS
        and (
            (w.isupper() and len(w) > 1 and not shouted)
            or (not title_case and i > 0 and w[:1].isupper())
        )
    )
    numbers = frozenset(w for w in words if w[:1].isdigit() or w in DATE_WORDS)
    return Headline(" ".join(words), words, numbers, names)


def _reference_key(parsed: Headline) -> str:
    return " ".join("^" + w if w in parsed.names else w for w in parsed.words)


def _same(title: str) -> None:
    expected = _reference(title)
    parse.cache_clear()
    got = parse(title)
    assert got == expected, title
    assert got.key() == _reference_key(expected), title


TRICKY = [
    "", "   ", "a the of", "NATO: ALLIES MEET IN BRUSSELS", "U.S. drone kills 14",
    "More than 1,000 inmates escape", "Toyota recalls 6.4 million vehicles",
    "UPDATE 2-China's exports slump on Monday", "Putin invites Zelensky to Moscow - Reuters",
    "BBC News - Putin invites Zelensky", "13:23 PSNI 'failed RUC officer families'",
    "Crème brûlée wins the prize!", "Sixteen killed in Venezuela prison", "the 3rd of May",
    "Nato Soldier Killed In Afghan Attack By UK Troops", "Зеленский прибыл в Москву",
    "U.N. says 1,234,567 displaced, up 2.5%", "iPhone maker Foxconn eyes U.S. plant (AP)",
]  # fmt: skip


@pytest.mark.parametrize("title", TRICKY)
def test_parse_as_before_on_tricky_headlines(title: str) -> None:
    _same(title)


_PIECES = st.sampled_from(
    ["Putin", "putin", "PUTIN", "U.S.", "u.s.", "1,000", "6.4", "3rd", "Monday", "monday",
     "March", "the", "The", "of", "-", "|", "–", ":", "(AP)", "(Reuters)", "UPDATE 1-",
     "EXCLUSIVE:", "Zürich", "café", "NATO", "Nato", "talks", "Talks", "killed", "sixteen",
     "first", "12", "2,5", "İstanbul", "ǅemal", "ﬁre", "x", "X", "&", "'s", "’", "..."]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.one_of(_PIECES, st.text(max_size=8)), max_size=14), st.sampled_from([" ", "", "  "])
)
def test_parse_as_before_on_any_headline(pieces: list[str], sep: str) -> None:
    _same(sep.join(pieces))


def _real_headlines() -> list[str]:
    titles: list[str] = []
    for name in ("train", "dev", "test"):
        path = DATA / "sts-headlines" / f"{name}.tsv"
        for line in path.read_text(encoding="utf-8").splitlines()[1:]:
            titles += line.split("\t")[1:3]
    with next((DATA / "uci-news-2014-03").glob("*.csv")).open(encoding="utf-8") as f:
        titles += [row[1] for row in list(csv.reader(f))[1:]]
    return list(dict.fromkeys(titles))


@pytest.mark.skipif(not (DATA / "sts-headlines").is_dir(), reason="no shared data here")
def test_parse_as_before_on_the_sts_and_uci_headlines() -> None:
    titles = _real_headlines()
    assert len(titles) > 10_000
    for title in titles:
        _same(title)
