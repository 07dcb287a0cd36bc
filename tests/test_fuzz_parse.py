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


def _reference_canonical_url(url: str | None, base: str | None = None) -> str | None:
    """canonical_url as it was first written (urlsplit, parse_qsl, urlencode, urlunsplit,
    all of them every time): the faster one must give the same answer for every URL."""
    import re
    from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

    from monitor.normalize import _C0_OR_SPACE, _DEFAULT_PORTS, _is_tracking

    if not url:
        return None
    url = url.strip()
    if base and not re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I):
        url = urljoin(base, url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    path = parts.path or "/"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    )
    canonical = urlunsplit((scheme, host, path, query, ""))
    while canonical != (trimmed := canonical.rstrip().rstrip(_C0_OR_SPACE)):
        canonical = trimmed
    return canonical


_PIECE = st.sampled_from(
    ["", "a", "Ab", "é", "%20", "%7E", "%2", "+", " ", "=", "&", ";", "?", "#", "/", ":", "@",
     "[", "]", ".", "..", "utm_source", "UTM_Medium", "fbclid", "id", "x%3D1", "\t", "\x00"]
)  # fmt: skip
_URLS = st.one_of(
    st.text(max_size=120),
    st.builds(
        lambda scheme, user, host, port, path, query, fragment: (
            f"{scheme}{user}{host}{port}{path}{query}{fragment}"
        ),
        st.sampled_from(["http://", "https://", "HTTPS://", "ftp://", "", "//", "http:"]),
        st.sampled_from(["", "user@", "u:p@"]),
        st.sampled_from(
            [
                "example.org",
                "WWW.Example.ORG.",
                "[::1]",
                "[::1",
                "xn--bcher-kva.example",
                "",
                "127.0.0.1",
            ]
        ),
        st.sampled_from(["", ":80", ":443", ":8080", ":", ":99999", ":x"]),
        st.lists(_PIECE, max_size=6).map(lambda p: "/" + "/".join(p) if p else ""),
        st.lists(st.tuples(_PIECE, _PIECE, st.booleans()), max_size=5).map(
            lambda ps: ("?" + "&".join(f"{k}={v}" if eq else k for k, v, eq in ps)) if ps else ""
        ),
        st.sampled_from(["", "#", "#frag", "#a b"]),
    ),
)


@FUZZ
@given(_URLS, st.sampled_from([None, "", "https://base.example/feed", "http://h/a/b/"]))
def test_canonical_url_is_what_it_was(url: str, base: str | None) -> None:
    try:
        reference = _reference_canonical_url(url, base)
    except ValueError:  # urljoin raised on "//[" and the like: now such a link is no URL
        reference = None
    assert canonical_url(url, base) == reference
