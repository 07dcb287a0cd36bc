"""Secrets out of log lines and error messages: credentials in URLs, secret-looking query
parameters, and the secrets the config took from the environment (``${NAME}``).

A feed URL often carries a key (``?api_key=...``, ``https://user:pass@host/``), and a config
that reads a password, a token or a URL from the environment says it is secret; log lines
name feeds by URL, and error messages may quote one. A parameter is masked by its name (a
secret part such as ``token``, ``key`` or ``auth`` anywhere in it), a configured URL's
parameter also by its value (a long random-looking run), and so is a run of its path that
looks like a key ("/feeds/<token>/rss"; not in an article's link, where it is often an id the
feed's URL holds too), a path segment naming its value by a secret word ("/secret:<key>/")
everywhere (in a link, if its value looks like a key too); a URL percent-encoded inside a
parameter is decoded, masked and encoded again; a whole URL from the environment is shown as
its variable, ``${NAME}``. The log formatters and the command line's error output pass each
line through ``redact``; what readers see (every channel's message, ``monitor status`` and
``monitor stories``, JSON or not) goes through ``shown``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from monitor.normalize import remove_controls

MASK = "***"
# Shorter values are not masked: a two-letter value would blot out every line it occurs in.
MIN_SECRET = 4
# Query or fragment parameters whose value is a secret, by the words of their name
# ("api_key", "apiKey", "X-Amz-Signature", "access_token", "sid").
SECRET_WORDS = frozenset(
    {
        "token", "key", "apikey", "secret", "password", "passwd", "pass", "pwd", "pw",
        "sig", "signature", "auth", "session", "sessionid", "sid", "credential", "credentials",
    }
)  # fmt: skip
# ... and in a feed's or an error's URL (``redact``), by a part of the name, lower case and
# without separators, so that a compound in one word ("accesstoken", "phpsessid") says it too.
# These say a secret wherever they are in a name:
SECRET_ANYWHERE = (
    "token", "secret", "jwt", "passw", "pwd", "sessid", "bearer", "credential", "authoriz",
    "oauth",
)  # fmt: skip
# ... these only as the whole name ("code", "x-hash") or after a prefix that makes them ours
# ("accesscode", "privatekey", "passcode", "authcode", "feedkey"): alone they end ordinary
# names too ("articlecode", "station_code", "sortkey", "geocode", "passage", "promo_code").
SECRET_ENDS = ("code", "key", "pass", "sig", "hash", "auth", "session", "private", "cred")
SECRET_PREFIXES = ("", "x", "access", "auth", "private", "api", "secret", "client", "feed",
                   "user", "pass", "session", "signed", "url", "app")  # fmt: skip
# A parameter naming a public id ("channel_id", "playlist_id", SharePoint's "List"): its
# value tells one feed from another however random it looks, so it is never taken for a key.
_ID_NAME = re.compile(r"(?:id|ids|list)$")
# A configured URL's value that looks like a key whatever its name (Reddit's private
# "?feed=<40 hex>"), registered as a secret (``register_keys``): a run of letters and digits
# this long with two changes between them at least (so that "article1234567890" and
# "20240101report" stay readable), or a UUID.
SECRET_RUN = 16
# A key in a configured URL's path (a private feed's "https://host/feeds/<token>/rss",
# "/private/<32 hex>.xml", Instapaper's "/rss/<user id>/<secret>"): a segment's run of
# letters, digits, "_" and "-" that looks like one (``secret_value``), registered whole
# ("private-<hex>" too) and looked up by value. By look in a feed's URL only: 263 of the
# 6,366 real article links of the UCI data have such a run (Reuters' "idUSBREA290WU...",
# UUIDs, Livemint's ids), so an article's link is masked only where it holds a feed's key.
_PATH_RUN = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{12,}(?![A-Za-z0-9_-])")
# A shorter run is a key only when letters and digits alternate more than a word with a
# number does ("u7k2m9x4q1z8": explore20; "2024news12" stays readable).
SHORT_PATH_RUN, SHORT_PATH_CHANGES = 12, 4
_URL_PATH = re.compile(r"[A-Za-z][\w+.-]*://[^/?#\s]*(/[^?#\s]*)")
# ... but the public ids after a segment that names them (YouTube's "/channel/UC<22>", Google
# News' "/topics/<id>/sections/<id>", Acast's "/shows/<hex>", Omny's
# "/playlist/<org>/<show>/<playlist>/podcast.rss", the whole run of them) are kept: whoever
# subscribes can read them on the public page, and they are what tells a log's feeds apart.
PUBLIC_BEFORE = frozenset({"channel", "channels", "playlist", "playlists", "show", "shows",
                           "topic", "topics", "section", "sections"})  # fmt: skip
# A segment that names its value (Pinboard's "/secret:abc123/u:name/"): masked by the name,
# as a parameter is, in every text but an article's link, where its value must look like a
# key too (OpenStreetMap's "/wiki/Key:highway" is a page).
_NAMED_SEGMENT = re.compile(r"(?<=[^/]/)([A-Za-z][\w-]*):([^/\s?#\"'<>]+)")
# How deep a percent-encoded URL inside a parameter is looked into (an encoded one in it...).
MAX_NESTING = 3
# The keys of ``stories --json`` and ``events --json`` whose values are articles' links.
ITEM_LINKS = frozenset({"url"})

# Secrets from the environment: masked wherever they appear, longest first (no cut of a
# longer one); few, so a look for each is cheap.
_secrets: dict[str, str] = {}  # value -> its mask
_by_length: list[tuple[str, str]] = []  # _secrets sorted, remade at the next redact
# Keys of configured URLs (``register_keys``): one per keyed feed, thousands of them, so
# looked up by value in a parameter or a word of the text, never searched for one by one.
_keys: set[str] = set()
# ... those of them found in a parameter, the only ones masked in an article's link: a key
# from a feed URL's path is often a public id its articles' links hold too (a podcast's
# "<host>/<show uuid>" and its "/shows/<show uuid>/episodes/<slug>"; kill-the-newsletter's
# "/feeds/<id>.xml" and "/feeds/<id>/entries/..."), and masked there the link no longer
# opens. Such a link goes to the readers of the feed's owner, who holds the key.
_link_keys: set[str] = set()
# The store's number of each feed, by its configured URL (``register_feed``): a log line's
# feed whose URL shows masked is named with it (``feed_label``) ...
_feed_ids: dict[str, int] = {}
# ... the label made once, kept while no secret or key is registered (their counts only grow)
_labels: dict[str, tuple[int, str]] = {}  # URL -> (len(_keys) + len(_secrets), its label)
_USERINFO = re.compile(r"(?<=://)[^/\s?#]*@")  # to the last "@" of the authority
_PARAMETER = re.compile(r"(?<=[?&;#])([\w.~-]+)=([^&#\s\"'<>\]),]+)")
_NAME_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_SEPARATORS = re.compile(r"[\W_]+")
_RUN = re.compile(rf"[A-Za-z0-9]{{{SECRET_RUN},}}")
_WORD = re.compile(rf"(?<![\w.~+/-])[\w.~+/-]{{{SECRET_RUN},}}")  # a key outside a parameter
_CHANGES = re.compile(r"(?=[A-Za-z][0-9]|[0-9][A-Za-z])")  # overlapping: each change
_HEX_ID = re.compile(r"[0-9A-Fa-f]{8}(?:-?[0-9A-Fa-f]{4}){3}-?[0-9A-Fa-f]{12}")
_SECRET_END = re.compile(
    rf"(?:{'|'.join(SECRET_PREFIXES)})(?:{'|'.join(SECRET_ENDS)})$"
)  # fmt: skip


def register(value: str, name: str | None = None) -> None:
    """Mask ``value`` wherever it appears in a log line from now on (process-wide): by
    ``${name}`` if given (the variable a whole URL came from: the reader can tell which feed
    it is without seeing it), else by ``***``."""
    if len(value) >= MIN_SECRET and value not in _secrets:
        _secrets[value] = f"${{{name}}}" if name else MASK
        _by_length.clear()


def secret_parameter(name: str) -> bool:
    """Whether a query parameter of this name carries a secret: by its words ("api_key",
    "apiKey", "sid"), by a part that says a secret anywhere ("accesstoken", "phpsessid") or
    by a secret end after a prefix of ours ("privatekey", "access_code", "passcode"), so
    that "author", "keywords", "side", "articleCode" and "station_code" are not."""
    if any(word.lower() in SECRET_WORDS for word in _NAME_WORDS.findall(name)):
        return True
    joined = _SEPARATORS.sub("", name.lower())
    return any(part in joined for part in SECRET_ANYWHERE) or bool(_SECRET_END.fullmatch(joined))


def article_parameter(name: str) -> bool:
    """Whether a parameter of an article's link (the publisher's, not our key) is masked in
    an alert: only by the words of its name (``SECRET_WORDS``), so that "articleCode",
    "passage" and "promo_code" keep the link working."""
    return any(word.lower() in SECRET_WORDS for word in _NAME_WORDS.findall(name))


def secret_value(value: str) -> bool:
    """Whether a parameter's value looks like a key whatever its name: a long run mixing
    letters and digits (hex, base64url, a JWT's part) or a UUID; "123", "rss", "world" and
    "ukraine+talks" do not."""
    if len(value) < SECRET_RUN:
        return False
    if _HEX_ID.search(value):
        return True
    return any(len(_CHANGES.findall(run)) >= 2 for run in _RUN.findall(value))


def register_keys(url: str, depth: int = 0) -> None:
    """Register the values of ``url``'s parameters and the runs of its path's segments that
    look like keys (``secret_value``), and those of a URL percent-encoded in a parameter:
    a configured URL's, so that they are masked wherever they appear. Only there: in every
    text, the same rule would break an article's link in an alert (``?id=<hex>``). A public
    id's ("channel_id", "playlist_id", "List", "/channel/UC...") is not: it is what tells
    feeds apart."""
    if "=" in url:
        for m in _PARAMETER.finditer(url if depth == 0 else "?" + url):  # "?": a bare query
            name, value = m.group(1), m.group(2)
            nested = unquote(value) if "%" in value else value
            if "://" in nested or "=" in nested.rstrip("="):
                if depth < MAX_NESTING:  # a URL or a query: its own keys, not the whole
                    register_keys(nested, depth + 1)
            elif secret_value(value) and not _ID_NAME.search(name.lower()):
                _keys.add(value)
                _link_keys.add(value)
    path = _URL_PATH.match(url)
    if path is not None:
        public = 0  # 1: the segment after one that names a public id; 2: the ids after it
        named = False  # after a segment that names a secret ("/token/<key>/": explore20)
        for segment in path.group(1).split("/"):
            if named and len(segment) >= MIN_SECRET:
                _keys.add(segment)
            named = secret_parameter(segment)
            if segment.lower() in PUBLIC_BEFORE:
                public = 1
                continue
            if ":" in segment:
                public = 0
                continue
            runs = [r for r in _PATH_RUN.findall(segment) if _path_key(r)]
            # the id a segment names, and the UUIDs after it (Omny's ".../playlist/<org>/
            # <show>/<playlist>"), not a key after a public id ("/shows/<id>/<token>.rss":
            # review20f)
            uuids = public == 2 and all(map(_HEX_ID.fullmatch, runs))
            kept = bool(runs) and (public == 1 or uuids)
            public = 2 if kept else 0
            if not kept:
                _keys.update(runs)


def _path_key(run: str) -> bool:
    if len(run) >= SECRET_RUN:
        return secret_value(run)
    return len(_CHANGES.findall(run)) >= SHORT_PATH_CHANGES


def register_feed(url: str, feed_id: int) -> None:
    """Name the feed configured at ``url`` by ``feed_id`` (its number in the store) in a log
    line (``logged_feed``) wherever its URL shows masked."""
    if _feed_ids.get(url) != feed_id:
        _feed_ids[url] = feed_id
        _labels.pop(url, None)


def feed_label(url: str, feed_id: int | None) -> str:
    """How a feed is named where a user must tell it from the others (a log line's feed,
    ``monitor status``, a health alert, a /metrics label): its URL, keys masked; where a part
    is masked, with the feed's number in the store after it, so that two feeds told apart only
    by a key are told apart still (in /metrics, one series for both would show a dead feed as
    fresh, and its staleness alert never fire). The number, not a hash of the URL: a short
    hash would let whoever reads it test guesses at a weak password offline; the number is
    the same across restarts and reorderings of the config."""
    shown = redact(url)
    if shown == url or feed_id is None:
        return shown
    return f"{shown} #{feed_id}"


def logged_feed(url: str) -> str:
    """A log line's feed (``[feed=...]``): ``feed_label`` with the number ``register_feed``
    gave the URL."""
    registered = len(_keys) + len(_secrets)
    known = _labels.get(url)
    if known is not None and known[0] == registered:
        return known[1]
    label = feed_label(url, _feed_ids.get(url))
    _labels[url] = (registered, label)
    return label


def _mask_parameter(m: re.Match[str], depth: int = 0) -> str:
    if secret_parameter(m.group(1)) or m.group(2) in _keys:
        return f"{m.group(1)}={MASK}"
    if depth < MAX_NESTING and ("%" in m.group(2) or "=" in m.group(2)):
        return _mask_nested(m, lambda text: _redact(text, depth + 1))
    return m.group()


def _mask_article_parameter(m: re.Match[str], depth: int = 0) -> str:
    if article_parameter(m.group(1)) or m.group(2) in _link_keys:
        return f"{m.group(1)}={MASK}"
    if depth < MAX_NESTING and ("%" in m.group(2) or "=" in m.group(2)):
        return _mask_nested(m, lambda text: _redact_link(text, depth + 1))
    return m.group()


def _mask_nested(m: re.Match[str], mask: Callable[[str], str]) -> str:
    """A parameter whose value is a URL or a query, percent-encoded or not
    ("?url=https%3A%2F%2Fh%2Ff%3Ftoken%3D...", "?url=https://h/f?token=..."): its decoded
    text masked by ``mask`` (as a query of its own, so that a leading "token=..." is one),
    encoded again as it was (what it left unencoded stays so)."""
    value = m.group(2)
    decoded = unquote(value) if "%" in value else value
    if decoded == value and "=" not in value:
        return m.group()
    masked = mask("?" + decoded)[1:]
    if masked == decoded:
        return m.group()
    if decoded == value:
        return f"{m.group(1)}={masked}"
    kept = "".join({c for c in value if not c.isalnum() and c != "%"})
    return f"{m.group(1)}={quote(masked, safe=kept + '*')}"


_Mask = Callable[[re.Match[str]], str]


@dataclass(frozen=True, slots=True)
class _Masking:
    """What ``_mask_secrets`` masks besides the environment's secrets and credentials: the
    registered ``keys`` (a word, a run of a path) and a segment naming its value."""

    keys: set[str]
    word: _Mask
    run: _Mask
    named_segment: _Mask


def _word_mask(keys: set[str]) -> _Mask:
    def mask(m: re.Match[str]) -> str:
        word = m.group()
        if word in keys:
            return MASK
        stripped = word.rstrip(".")  # the end of a sentence
        return MASK + word[len(stripped) :] if stripped in keys else word

    return mask


def _run_mask(keys: set[str]) -> _Mask:
    def mask(m: re.Match[str]) -> str:
        return MASK if m.group() in keys else m.group()

    return mask


def _mask_named_segment(m: re.Match[str]) -> str:
    if len(m.group(2)) >= MIN_SECRET and secret_parameter(m.group(1)):
        return f"{m.group(1)}:{MASK}"
    return m.group()


def _mask_named_link_segment(m: re.Match[str]) -> str:
    if secret_value(m.group(2)) and secret_parameter(m.group(1)):
        return f"{m.group(1)}:{MASK}"
    return m.group()


_IN_TEXT = _Masking(_keys, _word_mask(_keys), _run_mask(_keys), _mask_named_segment)
_IN_LINK = _Masking(
    _link_keys, _word_mask(_link_keys), _run_mask(_link_keys), _mask_named_link_segment
)


def _mask_secrets(text: str, masking: _Masking) -> str:
    if not _by_length and _secrets:
        _by_length.extend(sorted(_secrets.items(), key=lambda s: len(s[0]), reverse=True))
    for secret, mask in _by_length:  # first: the patterns below could cut a secret and hide it
        if secret in text:
            text = text.replace(secret, mask)
    if "://" in text:
        text = _USERINFO.sub(MASK + "@", text)
    if masking.keys:
        text = _WORD.sub(masking.word, text)
        if "/" in text:
            text = _PATH_RUN.sub(masking.run, text)
    if ":" in text and "/" in text:
        text = _NAMED_SEGMENT.sub(masking.named_segment, text)
    return text


def redact(text: str) -> str:
    """``text`` with registered secrets, URL credentials and secret parameters masked."""
    return _redact(text, 0)


def _redact(text: str, depth: int) -> str:
    text = _mask_secrets(text, _IN_TEXT)
    if "=" in text:
        text = _PARAMETER.sub(lambda m: _mask_parameter(m, depth), text)
    return text


def redact_link(url: str) -> str:
    """An article's link (an alert's, an item's) with registered secrets, credentials,
    parameters named by a secret word and the keys of configured URLs' parameters masked: the
    publisher's other parameters ("articleCode", "passage") and the runs of a feed URL's path
    taken for keys are kept, so that the link still opens the article."""
    return _redact_link(url, 0)


def _redact_link(url: str, depth: int) -> str:
    url = _mask_secrets(url, _IN_LINK)
    if "=" in url:
        url = _PARAMETER.sub(lambda m: _mask_article_parameter(m, depth), url)
    return url


def shown_link(url: str) -> str:
    """An article's link as a reader may see it (``redact_link``), control characters removed."""
    return remove_controls(redact_link(_mask_addresses(url)))


def shown(text: str) -> str:
    """``text`` as a reader may see it: secrets masked, control characters removed."""
    return remove_controls(redact(_mask_addresses(text)))


def shown_data(data: Any, links: frozenset[str] = frozenset()) -> Any:
    """``shown`` applied to every string inside ``data`` (dicts, lists, tuples), keys too:
    a JSON document for a reader (``status --json``, ``stories --json``). The values of the
    keys in ``links`` are articles' links, passed through ``shown_link`` instead."""
    if isinstance(data, str):
        return shown(data)
    if isinstance(data, dict):
        return {
            shown_data(k): shown_link(v) if k in links and isinstance(v, str)
            else shown_data(v, links)
            for k, v in data.items()
        }  # fmt: skip
    if isinstance(data, list | tuple):
        return [shown_data(v, links) for v in data]
    return data


# Addresses masked where they are whole only (``register_address``), each with its pattern.
_addresses: dict[str, re.Pattern[str]] = {}


def register_address(url: str) -> None:
    """Mask ``url`` by ``***`` in what a reader is shown (``shown``, ``shown_link``) where it
    appears whole, not where a longer URL starts with it: a stored feed's address that may
    be the one carrying a secret (``cli.common.found_in_store``), whose articles' links
    under it ("/post-1", "?p=1") must still open (review20c)."""
    if len(url) >= MIN_SECRET and url not in _addresses:
        _addresses[url] = re.compile(re.escape(url) + r"(?![\w/?#%~+-])")


def _mask_addresses(text: str) -> str:
    for address, pattern in _addresses.items():
        if address in text:
            text = pattern.sub(MASK, text)
    return text
