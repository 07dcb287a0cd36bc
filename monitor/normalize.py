"""normalize: plain text, canonical URLs and stable item ids. Pure: no I/O.

Titles and summaries become plain text (HTML removed, entities decoded, NFC, one space);
a URL becomes canonical (scheme and host lower-case, default port, fragment and tracking
parameters removed) so the same article reached through two links is one item.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Callable
from urllib.parse import parse_qsl, unquote_plus, urlencode, urljoin, urlsplit

from monitor.textfold import compatible, drop_invisible

# feedparser's sanitizer is off (parse.FEEDPARSER_OPTIONS): this is the only HTML processing an item
# gets, so it drops what no reader is meant to see. The markup is read in one pass, left to
# right, token by token; every token pattern either matches or ends at the next "<" or
# quote, so hostile markup ("<head>" or "<" a hundred thousand times, a quote never closed)
# costs time in proportion to its length, never its square. A comment, a script, a style, an
# applet, a head or a template that is never closed runs to the end of the text, as a
# browser reads it. An attribute value after "=" may be quoted, and a ">" or a "<script>"
# inside quotes is no markup; elsewhere a quote is an ordinary character (href=x.com/">).
# CDATA sections in HTML (a feed wrapping its CDATA twice) keep their text and lose their
# markers. Block tags become a space, other tags nothing.
_ATTRIBUTES = r"""(?:=\s*+"[^"]*+"|=\s*+'[^']*+'|[^<>])*+"""
# The "<" stands first, outside the alternatives, so that re skips to the next "<" at C
# speed instead of trying four alternatives at every character.
_MARKUP = re.compile(
    r"<(?:(?P<comment>!--(?:-?>|.*?(?:--!?>|\Z)))"
    rf"|(?P<hidden>(?P<hidden_name>script|style|applet|head|template)\b{_ATTRIBUTES}>"
    r".*?(?:</(?P=hidden_name)\b[^<>]*>|\Z))"
    rf"|(?P<tag>/?(?P<name>[a-z][^\s/<>]*){_ATTRIBUTES}>)"
    r"|(?P<declaration>[!?][^<>]*>?))",
    re.I | re.S,
)
_BLOCKS = frozenset(
    ("p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "td", "th",
     "table", "blockquote", "section", "article")
)  # fmt: skip


def _markup(m: re.Match[str]) -> str:
    kind = m.lastgroup
    if kind == "tag":
        return " " if m.group("name").lower() in _BLOCKS else ""
    if kind == "declaration":  # <!DOCTYPE>, <?xml ...?>: no text and no gap
        return ""
    return " "  # comments and hidden blocks


def _without_markup(text: str) -> str:
    # Most summaries' only markup is a few plain tags ("<p>...</p>"): when every "<" opens
    # one of _PLAIN_TAGS, each is what the pattern makes of it wherever it stands.
    return _by_table(text, "<", ">", 9, _PLAIN_TAGS, _all_markup)


def _all_markup(text: str) -> str:
    return _MARKUP.sub(_markup, text)


def _by_table(
    text: str, lead: str, close: str, width: int, table: dict[str, str], slow: Callable[[str], str]
) -> str:
    """``text`` with each ``lead`` and what follows it up to ``close`` (within ``width``
    characters) replaced by ``table``'s entry for it, the text rebuilt without a call into
    Python per replacement; ``slow(text)`` where any is not in ``table``."""
    parts = text.split(lead)
    for i in range(1, len(parts)):
        part = parts[i]
        end = part.find(close, 0, width) + 1
        known = table.get(part[:end]) if end > 1 else None
        if known is None:
            return slow(text)
        parts[i] = known + part[end:]
    return "".join(parts)


# The commonest whole tags after their "<", and what the pattern makes of each.
_PLAIN_TAGS = {
    tag[1:]: _MARKUP.sub(_markup, tag)
    for name in ("p", "br", "b", "i", "em", "strong", "li", "ul", "ol", "div", "span", "a")
    for tag in (f"<{name}>", f"</{name}>")
}
_PLAIN_TAGS.update({tag[1:]: _MARKUP.sub(_markup, tag) for tag in ("<br/>", "<br />")})


def _unescape(text: str) -> str:
    # html.unescape, without a call into Python per reference for the commonest ones: when
    # every "&" starts one of _COMMON_ENTITIES (read whole, up to its ";"), each is what
    # html.unescape makes of it wherever it stands.
    return _by_table(text, "&", ";", 8, _COMMON_ENTITIES, html.unescape)


# The references feeds write most, after their "&", and what html.unescape makes of each.
_COMMON_ENTITIES = {
    ref: html.unescape("&" + ref)
    for ref in ("amp;", "lt;", "gt;", "quot;", "apos;", "nbsp;", "#39;", "#x27;", "#34;",
                "#8217;", "#8216;", "#8220;", "#8221;", "#8211;", "#8212;", "#8230;",
                "rsquo;", "lsquo;", "ldquo;", "rdquo;", "ndash;", "mdash;", "hellip;")
}  # fmt: skip


# Control characters (C0 but tab and newline, DEL, C1): an ESC in a title would drive the
# reader's terminal, a BEL ring it, a NUL cut a C string; no feed means them as text.
_CONTROLS = dict.fromkeys([*range(0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)], None)

# Query parameters that only say how a reader arrived at an article, never which article.
_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_", "at_")
_TRACKING_NAMES = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "twclid",
        "mkt_tok", "_hsenc", "_hsmi", "_ga", "_gl", "ocid", "cmpid", "ncid", "ref_src",
        "ref_url", "smid", "smtyp", "spm", "sr_share", "vero_id", "oly_enc_id", "oly_anon_id",
        "wt_mc", "wt.mc_id", "guccounter", "guce_referrer", "guce_referrer_sig", "at_medium",
        "at_campaign", "s_cid", "xtor",
    }
)  # fmt: skip
# Those an alert's link drops (``without_tracking``): by exact name as the tools document
# them, utm_ by its prefix; a publisher's own "?pk_id=42" or "?at_page=2" is kept (the
# prefixes above, which make the item's identity, would take it: review20c).
_LINK_TRACKING_NAMES = _TRACKING_NAMES | frozenset(
    {
        # Matomo (Piwik) campaigns
        "pk_campaign", "pk_cpn", "pk_kwd", "pk_keyword", "pk_source", "pk_medium",
        "pk_content", "pk_cid", "pk_group", "pk_placement",
        # Mailchimp
        "mc_cid", "mc_eid",
        # AT Internet (Piano) campaigns
        "at_platform", "at_creation", "at_variant", "at_format", "at_send_date", "at_link",
        "at_type", "at_recipient_id", "at_recipient_list", "at_emailtype", "at_term",
        "at_network", "at_identifier", "at_general_placement", "at_detail_placement",
        # HubSpot ads
        "hsa_acc", "hsa_cam", "hsa_grp", "hsa_ad", "hsa_src", "hsa_tgt", "hsa_kw", "hsa_mt",
        "hsa_net", "hsa_ver", "hsa_la", "hsa_ol",
    }
)  # fmt: skip
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Longer is not an article's address (servers commonly refuse a request line over 8 KB);
# refused before urllib sees it, whose urlsplit keeps its last 128 answers whatever their size.
MAX_URL = 8192
_HAS_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:", re.I)
# What urlsplit strips from both ends of a URL (WHATWG "C0 control or space").
_C0_OR_SPACE = "".join(map(chr, range(0x21)))
# The start of most article addresses: http(s) and a lower-case host name (no port, user,
# IPv6 address or trailing dot), then the path, the query, the fragment or the end.
_USUAL_ORIGIN = re.compile(r"https?://[a-z0-9-]+(?:\.[a-z0-9-]+)*(?![^/?#])")
# The characters of a usual address before its fragment, as bytes: printable ASCII, no space.
_URL_BYTES = bytes(range(0x21, 0x7F))


# The printable ASCII characters, as bytes: see ``_printable``.
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))


def _printable(text: str) -> bool:
    """``text.isprintable()``. That looks each character up in the Unicode tables; a
    summary's worth of ASCII is told faster by deleting its printable bytes (a byte table)
    and finding none left. A title is too short for the encoding to pay."""
    if len(text) > 64 and text.isascii():
        return not text.encode("ascii").translate(None, _PRINTABLE_ASCII)
    return text.isprintable()


def clean_text(value: str | None) -> str:
    """HTML or plain text to one line of plain text: tags out, entities decoded, NFC, one space.

    NFC, not NFKC: the text is shown as the outlet wrote it ("2º turno", "km²", "™"); what
    compares words folds it further (``textfold.compatible``, ``textfold.fold``)."""
    if not value:
        return ""
    text = value
    if "<" in text:
        if "<![CDATA[" in text:  # its text is read as the rest is (markers out, in one pass)
            text = text.replace("<![CDATA[", "").replace("]]>", "")
        text = _without_markup(text)
    if "&" in text:
        text = _unescape(text)
    if not text.isascii():  # NFC leaves ASCII as it is, and the invisible ones are not ASCII
        text = drop_invisible(unicodedata.normalize("NFC", text))
    # Printable text has no whitespace but the space (the rest is Cc, Zs, Zl or Zp): halving
    # its runs of spaces until none is two long is what the split and join below make of it,
    # without a string for each word, and it stays printable.
    if _printable(text):
        text = text.strip(" ")
        while "  " in text:
            text = text.replace("  ", " ")
        return text
    # str.split() splits where the pattern \s+ matches (both ask str.isspace), and faster.
    text = " ".join(text.split())
    # After the join only the space is left of the whitespace, so isprintable (C speed) is
    # False only for a control or format character: the rare text that needs the table.
    if not text.isprintable():
        text = " ".join(text.translate(_CONTROLS).split())
    return text


# An aggregator's description that is only links to articles, each with its outlet's name
# after it in a <font> (Google News: '<a href="...">Headline</a>&nbsp;&nbsp;<font
# color="#6f6f6f">Outlet</font>', or an <ol> of such <li>s for the outlets it groups):
# its headline again, or other outlets' headlines (explore20: a rule fired on a name found
# only in another outlet's headline of the list). Known by its shape: a <font> after a link,
# and no text outside links, <font>s, list tags and the footer's <strong> (review20h).
_HEADLINE_LIST = re.compile(
    r"\s*(?:<(?:/?(?:ol|ul|li|strong|b)|br/?)\b[^<>]*>|<a\b[^<>]*>[^<]*</a>"
    r"|<font\b[^<>]*>[^<]*</font>"
    r"|&nbsp;|&#160;|\xa0|\s)*",
    re.I,
)
_LINK_THEN_FONT = re.compile(r"</a>(?:\s|&nbsp;|&#160;|\xa0)*<font\b", re.I)
# Google News' footer link ("View Full Coverage on Google News", or in the feed's language)
_FOOTER = re.compile(r"<(strong|b)\b[^<>]*>\s*<a\b[^<>]*>[^<]*</a>\s*</\1>", re.I)


def summary_text(value: str | None) -> str:
    """A summary as plain text (``clean_text``). An aggregator's list of several outlets'
    headlines (``_HEADLINE_LIST``) is "": the item's text is its title, not other outlets'
    (explore20: a rule fired on a name only another outlet's headline held); its one link
    and outlet (Google News' single item) is kept, without its footer link, as its text: a
    rule on ``summary:`` still finds the item's own words there (review20h)."""
    if (
        value
        and "</a>" in value
        and _LINK_THEN_FONT.search(value)
        and _HEADLINE_LIST.fullmatch(value.replace("<![CDATA[", "").replace("]]>", ""))
    ):
        if len(_LINK_THEN_FONT.findall(value)) > 1:
            return ""
        return clean_text(_FOOTER.sub("", value))
    return clean_text(value)


def remove_controls(text: str) -> str:
    """``text`` without control characters, its tabs and line breaks kept (text that keeps
    its lines: a message, a multi-line error)."""
    return text if text.isprintable() else text.translate(_CONTROLS)


def cut_at_word(text: str, end: int) -> str:
    """``text[:end]``, taken back to the end of its last whole word when ``end`` falls inside
    a word (a cut headline read "... announced a new sanc"), unless that word is more than
    half of it (a long link, a text without spaces: cut where it falls); no space at its end."""
    head = text[:end]
    if 0 < end < len(text) and not text[end].isspace() and not head[-1].isspace():
        space = head.rfind(" ")
        if space > end // 2:
            head = head[:space]
    return head.rstrip()


def canonical_url(url: str | None, base: str | None = None) -> str | None:
    """The canonical form of an article URL, or None when it is not an http(s) URL."""
    if not url:
        return None
    url = url.strip()
    if len(url) > MAX_URL:
        return None
    usual = _usual_canonical(url)
    if usual is not None:
        return usual
    try:
        if base and not _HAS_SCHEME.match(url):
            if len(url) + len(base) > MAX_URL:
                return None
            url = urljoin(base, url)  # raises, as urlsplit does, on a broken IPv6 host
        parts = urlsplit(url)
        hostname = parts.hostname
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not hostname:
        return None
    host = hostname.lower().rstrip(".")
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    # urlunsplit, written out: with a host, the path is empty or starts with a slash.
    canonical = f"{scheme}://{host}{parts.path or '/'}"
    # Most article URLs have no query or only tracking parameters: nothing to re-encode then.
    if parts.query and not _only_tracking(parts.query):
        query = urlencode(
            [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if not _is_tracking(k)]
        )  # fmt: skip
        if query:
            canonical += "?" + query
    # A path may end in what a second pass strips ("0 #" loses its fragment and keeps "0 "):
    # drop it, so that the canonical form of a canonical URL is itself.
    while canonical != (trimmed := canonical.rstrip().rstrip(_C0_OR_SPACE)):
        canonical = trimmed
    return canonical


def _usual_canonical(url: str) -> str | None:
    """The canonical form of most article addresses, told without urlsplit (a parse thread's
    commonest case): a ``_USUAL_ORIGIN``, a path and query of printable ASCII without a
    space, and a query of tracking parameters only (or none): the address up to its query.
    None for any other address. The characters are told by a byte table, at C speed."""
    origin = _USUAL_ORIGIN.match(url)
    if origin is None:
        return None
    head = url.partition("#")[0]
    if not head.isascii() or head.encode("ascii").translate(None, _URL_BYTES):
        return None
    head, _, query = head.partition("?")
    if query and not _only_tracking(query):
        return None
    return head if len(head) > origin.end() else head + "/"


def without_tracking(url: str) -> str:
    """``url`` as an alert links it: without the tracking parameters (utm_*, fbclid,
    pk_campaign...: by their exact names, not by the prefixes ``canonical_url`` drops),
    every other parameter kept as written and in its place (an article's ``?id=123`` or
    ``?pk_id=42``: a broken link is worse than a tracked one), the fragment kept;
    ``url`` itself when it has none. The stored link and the item's id are not this: the
    id is the canonical URL's already, and the store keeps what the feed wrote."""
    rest, hash_mark, fragment = url.partition("#")  # a "?" after the "#" is the fragment's
    head, mark, query = rest.partition("?")
    if not mark:
        return url
    pieces = query.split("&")
    # A name is told as parse_qsl decodes it ("%75tm_source"), as canonical_url tells it.
    kept = [p for p in pieces if p and not _is_link_tracking(unquote_plus(p.partition("=")[0]))]
    if len(kept) == len(pieces):
        return url
    return head + ("?" + "&".join(kept) if kept else "") + hash_mark + fragment


def direct_link(url: str) -> str:
    """The outlet's article ``url`` leads to when it is an aggregator's click-through that
    names it: Bing News' ``www.bing.com/news/apiclick.aspx?...&url=<the article>``
    (explore20: the alert linked Bing). ``url`` itself otherwise; Google News'
    ``news.google.com/rss/articles/...`` cannot be decoded without asking Google."""
    if "apiclick.aspx" not in url:
        return url
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in _BING_HOSTS or parts.path.lower() != _BING_CLICK:
        return url
    target = dict(parse_qsl(parts.query)).get("url", "")
    named = urlsplit(target)
    if not target.isprintable() or any(c.isspace() for c in target):
        return url  # a line break or space decoded into the alert's link (review20h)
    return target if named.scheme.lower() in ("http", "https") and named.hostname else url


_BING_HOSTS = frozenset(("www.bing.com", "bing.com"))
_BING_CLICK = "/news/apiclick.aspx"


def _is_link_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _LINK_TRACKING_NAMES or lowered.startswith("utm_")


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_NAMES or lowered.startswith(_TRACKING_PREFIXES)


def _only_tracking(query: str) -> bool:
    """Every parameter of ``query`` is a tracking one, told without decoding it: True only
    where parse_qsl would find nothing but tracking names (a name with % or + is decoded
    there first, so it is left to parse_qsl)."""
    if query in _TRACKING_QUERIES:
        return True
    for pair in query.split("&"):
        if not pair:
            continue  # parse_qsl skips empty pieces too
        name = pair.partition("=")[0]
        if "%" in name or "+" in name or not _is_tracking(name):
            return False
    if len(query) <= _TRACKING_QUERY_LEN:
        if len(_TRACKING_QUERIES) >= _TRACKING_QUERIES_MAX:
            _TRACKING_QUERIES.clear()
        _TRACKING_QUERIES.add(query)
    return True


# Queries found to be tracking parameters only: a feed puts the same ones on every link
# ("utm_source=rss&utm_medium=feed"), each told apart once. Bounded in number and length
# (at most a megabyte): a feed that puts a different one on each link refills it.
_TRACKING_QUERIES: set[str] = set()
_TRACKING_QUERIES_MAX = 4096
_TRACKING_QUERY_LEN = 256


def item_key(guid: str | None, canonical: str | None, title: str, summary: str) -> str:
    """A stable id for an item: from its GUID, else its canonical URL, else its content."""
    if guid and (written := guid.strip()):
        source = "guid:" + written
    elif canonical:
        source = "url:" + canonical
    else:
        # As compared, so that an item's id is the one it had when its text was kept NFKC.
        source = "text:" + compatible(title) + "\n" + compatible(summary)
    digest = _KEY_HASH.copy()  # cheaper than a new one, whose keywords are parsed each time
    digest.update(source.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


_KEY_HASH = hashlib.blake2b(digest_size=16)
