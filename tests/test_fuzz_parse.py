"""Fuzzing (hypothesis): the feed parse/normalize path over arbitrary bytes and mutated real
feeds, and URL canonicalization, never raise anything but ParseError and stay fast."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.errors import ParseError
from monitor.normalize import canonical_url, clean_text
from monitor.parse import parse_feed

DEMO = sorted((Path(__file__).resolve().parents[1] / "monitor" / "demo" / "feeds").glob("*.xml"))
SEEDS = [p.read_bytes() for p in DEMO]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _parse_bounded(body: bytes) -> None:
    started = time.monotonic()
    try:
        parsed = parse_feed(body, {"content-type": "application/rss+xml"}, url="http://x/feed")
    except ParseError:
        pass
    else:
        for item in parsed.entries:
            assert isinstance(item.title, str) and "\x00" not in item.key
    assert time.monotonic() - started < 2.0, "a fuzzed body took over 2s to parse"


@FUZZ
@given(st.binary(max_size=4096))
def test_random_bytes(body: bytes) -> None:
    _parse_bounded(body)


@FUZZ
@given(st.sampled_from(SEEDS), st.integers(0, 4000), st.binary(min_size=1, max_size=64))
def test_mutated_real_feeds(seed: bytes, at: int, junk: bytes) -> None:
    at = at % len(seed)
    _parse_bounded(seed[:at] + junk + seed[at + len(junk) :])


@FUZZ
@given(st.sampled_from(SEEDS), st.integers(0, 4000))
def test_truncated_feeds(seed: bytes, at: int) -> None:
    _parse_bounded(seed[: at % len(seed)])


@FUZZ
@given(st.text(max_size=300))
def test_canonical_url_never_raises(url: str) -> None:
    result = canonical_url(url, "https://base.example/feed")
    assert result is None or result.startswith(("http://", "https://"))
    if result is not None:
        assert canonical_url(result) == result  # canonical is a fixed point


@FUZZ
@given(
    st.builds(
        lambda host, path, q: f"https://{host}/{path}?{q}",
        st.from_regex(r"[a-z]{1,10}\.[a-z]{2,3}", fullmatch=True),
        st.from_regex(r"[a-z0-9/]{0,20}", fullmatch=True),
        st.from_regex(r"(utm_[a-z]+=[a-z0-9]*&){0,3}id=[0-9]+", fullmatch=True),
    )
)
def test_tracking_parameters_never_survive(url: str) -> None:
    result = canonical_url(url)
    assert result is not None and "utm_" not in result and "id=" in result


@FUZZ
@given(st.text(max_size=2000))
def test_clean_text_is_one_clean_line(text: str) -> None:
    out = clean_text(text)
    assert "\n" not in out and "\t" not in out and out == out.strip()
