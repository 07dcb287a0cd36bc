"""OPML: the feed list format every feed reader exchanges (http://opml.org/spec2.opml).

Reading uses defusedxml: an OPML file comes from elsewhere and must not expand entities.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from xml.etree.ElementTree import Element, SubElement, indent, tostring

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from pydantic import ValidationError

from monitor.config import FeedConfig
from monitor.configchecks import describe
from monitor.errors import InputError
from monitor.normalize import remove_controls


class OpmlError(InputError):
    stage = "opml"


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    url: str
    name: str | None
    tags: tuple[str, ...]


def read_opml(data: bytes) -> list[OpmlFeed]:
    """Every outline with an ``xmlUrl``; the titles of enclosing outlines become tags, and so
    do the entries of its ``category`` (comma-separated, as ``write_opml`` writes tags)."""
    try:
        root = SafeET.fromstring(data)
    except DefusedXmlException as exc:
        raise OpmlError(f"the file uses forbidden XML constructs ({exc}); refused") from None
    except SafeET.ParseError as exc:
        raise OpmlError(f"the file is not valid XML ({exc})") from None
    if root.tag != "opml":
        raise OpmlError(f"the file is not OPML (its root element is <{root.tag}>)")
    body = root.find("body")
    if body is None:
        raise OpmlError("the OPML file has no <body>")
    found: list[OpmlFeed] = []

    def walk(node: Element, tags: tuple[str, ...]) -> None:
        for outline in node.findall("outline"):
            url = outline.get("xmlUrl") or outline.get("xmlurl")
            title = outline.get("title") or outline.get("text")
            if url:
                own = _categories(outline.get("category") or "")
                merged = tuple(dict.fromkeys((*tags, *own)))
                found.append(OpmlFeed(url=url.strip(), name=title or None, tags=merged))
            else:
                walk(outline, (*tags, _tag(title)) if title else tags)

    walk(body, ())
    return found


def merge_duplicates(feeds: Sequence[OpmlFeed], key: Callable[[str], str]) -> list[OpmlFeed]:
    """One entry per feed (``key``: what makes two URLs one feed), in the order first seen:
    a feed listed in two folders keeps its first URL and name, and the tags of both."""
    merged: dict[str, OpmlFeed] = {}
    for feed in feeds:
        first = merged.setdefault(key(feed.url), feed)
        if first is not feed:
            tags = tuple(dict.fromkeys((*first.tags, *feed.tags)))
            merged[key(feed.url)] = replace(first, name=first.name or feed.name, tags=tags)
    return list(merged.values())


def why_invalid(feed: OpmlFeed) -> str | None:
    """Why ``feed`` cannot become a ``[[feeds]]`` table (its URL is not http, ...), or None."""
    try:
        FeedConfig.model_validate({"url": feed.url, "name": feed.name, "tags": list(feed.tags)})
    except ValidationError as exc:
        return "; ".join(describe(err) for err in exc.errors())
    return None


def _tag(title: str) -> str:
    return re.sub(r"\s+", "-", title.strip().lower())


def _categories(value: str) -> tuple[str, ...]:
    """The tags of a ``category`` attribute: OPML 2.0 makes it a comma-separated list of
    slash-delimited paths ("/Boston/Weather"); the tags ``write_opml`` writes come back as
    they were ("us politics"), a path as its segments' words joined by "/"."""
    entries = (" ".join(part.split()).strip("/ ") for part in value.split(","))
    return tuple(dict.fromkeys(e for e in entries if e))


def write_opml(
    feeds: list[FeedConfig],
    title: str = "monitor feeds",
    known_titles: Mapping[str, str] | None = None,
) -> bytes:
    """The feeds as OPML 2.0; each is named by its config name, else by the title its feed
    gave (``known_titles``, by URL, from the store), else by its URL."""
    root = Element("opml", version="2.0")
    head = SubElement(root, "head")
    SubElement(head, "title").text = title
    body = SubElement(root, "body")
    for feed in feeds:
        # A title the feed sent may hold characters XML 1.0 cannot carry.
        name = feed.name or remove_controls((known_titles or {}).get(feed.url, "")).strip()
        attrs = {"type": "rss", "text": name or feed.url, "xmlUrl": feed.url}
        if name:
            attrs["title"] = name
        if feed.tags:
            attrs["category"] = ",".join(feed.tags)
        SubElement(body, "outline", attrs)
    indent(root)
    xml: bytes = tostring(root, encoding="utf-8", xml_declaration=True)
    return xml + b"\n"


def toml_string(value: str) -> str:
    """A TOML basic string."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\u{ord(m.group()):04x}", escaped)
    return f'"{escaped}"'


def feeds_as_toml(feeds: list[OpmlFeed]) -> str:
    """``[[feeds]]`` tables to append to a config file."""
    out = []
    for feed in feeds:
        out.append("[[feeds]]")
        out.append(f"url = {toml_string(feed.url)}")
        if feed.name:
            out.append(f"name = {toml_string(feed.name)}")
        if feed.tags:
            out.append("tags = [" + ", ".join(toml_string(t) for t in feed.tags) + "]")
        out.append("")
    return "\n".join(out)
