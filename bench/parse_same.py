"""Parse and normalization, this tree against another checkout's: a change meant to make them
cheaper must not change one field.

1. Function by function, both trees in one process (the other's modules loaded under other
   names): clean_text, summary_text, canonical_url, item_key (normalize), plain_absolute,
   resolve, entry_link, text (parse.fields), usual_date and date (parse.dates), the old
   plain_type against plain_attributes (parse.shapes) on every element, on every title,
   summary, link, id and date of ../shared/data's feeds (as feedparser and lxml read them),
   the UCI and STS headlines and the UCI links, with variants of each URL (case, spaces, "?",
   "#", ";", a port, tracking queries) and date (case, every month and zone name), the
   bench's escaped paragraphs, and edge cases.
2. ``parse_feed`` whole, each tree in a process of its own: the repr of every ParsedFeed (or
   the error) and whether the fast path took the body, for every file of ../shared/data's
   feeds under two content types, with an over-long and a short xml:base, with a lower-case
   doctype, and the ingest bench's 300 bodies.

Prints each count and how many differ (the goal: 0 everywhere); exits 1 when any does.

    python bench/parse_same.py --code <a checkout of main>
"""

from __future__ import annotations

import argparse
import csv
import html
import importlib.util
import json
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

BENCH = Path(__file__).resolve().parent
DATA = BENCH.parents[1] / "shared" / "data"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
FEED_URL = "http://example.org/feed/"


def feed_files() -> list[Path]:
    tests = sorted(p for p in (DATA / "feedparser-tests").rglob("*") if p.is_file())
    return tests + sorted(p for p in (DATA / "real-feeds").iterdir() if p.is_file())


def other(tree: Path, module: str) -> ModuleType:
    """``module`` of ``tree``, loaded beside this tree's (its own imports are this tree's)."""
    path = tree / (module.replace(".", "/") + ".py")
    spec = importlib.util.spec_from_file_location("other_" + module.replace(".", "_"), path)
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = loaded
    spec.loader.exec_module(loaded)
    return loaded


def inputs() -> tuple[list[str], list[str], list[str]]:
    """Every text, URL and date string to compare on."""
    import feedparser
    from lxml import etree

    texts: set[str] = set()
    urls: set[str] = set()
    dates: set[str] = set()
    for path in feed_files():
        body = path.read_bytes()
        parsed = feedparser.parse(body, sanitize_html=False, resolve_relative_uris=False)
        for entry in [parsed.get("feed", {}), *parsed.get("entries", [])]:
            for key, value in entry.items():
                if isinstance(value, str):
                    {"link": urls, "id": urls, "published": dates, "updated": dates}.get(
                        key, texts
                    ).add(value)
        try:
            root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, recover=True))
        except (etree.XMLSyntaxError, ValueError):
            continue
        for element in root.iter() if root is not None else ():
            if not isinstance(element.tag, str):
                continue
            if element.text and element.text.strip():
                texts.add(element.text)
                urls.add(element.text.strip()[:3000])
                dates.add(element.text.strip()[:100])
            urls.update(v for k, v in element.items() if k in ("href", "url", "uri"))
    uci = DATA / "uci-news-2014-03" / "uci-news-aggregator_2014-03-10_12_slice.csv"
    with uci.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            texts.update((row["TITLE"], row["PUBLISHER"]))
            urls.add(row["URL"])
    for part in ("train", "dev", "test"):
        for line in (DATA / "sts-headlines" / f"{part}.tsv").read_text("utf-8").splitlines():
            texts.update(line.split("\t")[1:])
    for text in sorted(texts)[:20000]:
        texts.update(("<p>" + html.escape(text) + "</p>", html.escape(text)))
    texts.update(("", " ", "  a  b  ", "<p></p>", "<P>x</P>", "&ampx;", "a & b", "<p>x\x07</p>",
                  "<br/>x", "<p>&lt;p&gt;</p>", "<![CDATA[<p>x</p>]]>", "<p>\u00e9\u200b</p>"))  # fmt: skip
    for url in list(urls):
        if len(url) < 2000:
            urls.update((url + "?utm_source=rss&utm_medium=feed", url + "#x", url.upper(),
                         f" {url} ", url + "?", url + "#", url.replace("https://", "http://"),
                         url + ";x", url + "?a=1&utm_source=x", url.replace("://", ":///"),
                         url + "\u00e9", url + "%20", url.replace(".", ":80/", 1)))  # fmt: skip
    urls.update(("http://a", "https://", "http:///x", "https://A.b/", "http://a.b.", "http://a/b#?x",
                 "http://[::1]/x", "http://a/?#", "HTTP://a/", "http://a/ b", "http://a/\x7f",
                 "http://a:8080/x", "http://a..b/", "http://a?x", "http://a#x", "http://a.b:/x",
                 "http://a/x#\u00e9", "http://a/x?utm_source=\u00e9", "http://a/x?%75tm_source=1",
                 "http://a/x?fbclid=1&utm_medium=2", "http://a.b/x\n", "http://a\t/x"))  # fmt: skip
    for written in list(dates):
        dates.update((written.upper(), written.lower(), written.swapcase()))
    months = ("Jan", "FEB", "mar", "aPr", "MAY", "Jun", "jul", "AUG", "Sep", "oct", "Nov", "DEC")
    for zone in ("GMT", "gmt", "UT", "utc", "Z", "z", "EDT", "est", "Cdt", "cST", "MDT", "mst",
                 "PDT", "pst", "XYZ", "A", "+0530", "-0800", "+2400"):  # fmt: skip
        for month in (*months, "Foo"):
            dates.update((f"Mon, 10 {month} 2014 16:52:50 {zone}", f"1 {month} 1999 23:59 {zone}",
                          f"31 {month} 2100 24:00:00 {zone}"))  # fmt: skip
    return sorted(texts), sorted(urls), sorted(dates)


def compare(name: str, old: Callable[..., Any], new: Callable[..., Any], cases: Iterable[tuple[Any, ...]]) -> int:  # fmt: skip
    def outcome(f: Callable[..., Any], args: tuple[Any, ...]) -> Any:
        try:
            return f(*args)
        except Exception as e:  # the same exception is the same answer
            return ("raised", type(e).__name__)

    count = differ = 0
    for args in cases:
        count += 1
        if outcome(old, args) != outcome(new, args):
            differ += 1
            if differ <= 3:
                print(f"  differs: {name}{args!r:.200}")
    print(f"{name}: {count:,} compared, {differ} differ", flush=True)
    return differ


def elements() -> list[Any]:
    """Every element of ../shared/data's feeds, and elements of every type, mode and src."""
    from lxml import etree

    found: list[Any] = []
    for path in feed_files():
        try:
            root = etree.fromstring(
                path.read_bytes(), etree.XMLParser(resolve_entities=False, recover=True)
            )
        except (etree.XMLSyntaxError, ValueError):
            continue
        if root is not None:
            found.extend(e for e in root.iter() if isinstance(e.tag, str))
    for written in ('type="html"', 'type="TEXT"', 'type="xhtml"', 'type="text/plain" a="1"',
                    'mode="escaped"', 'src="x"', 'isPermaLink="false"', 'x:type="xhtml"',
                    'TYPE="xhtml"', 'type=""', 'a="1" mode="xml" type="html"'):  # fmt: skip
        found.append(etree.fromstring(f'<guid xmlns:x="urn:x" {written}>x</guid>'))
    return found


def functions(tree: Path) -> int:
    import monitor.normalize as normalize
    from monitor.parse import dates, fields, shapes

    old_n, old_f = other(tree, "monitor.normalize"), other(tree, "monitor.parse.fields")
    old_d = other(tree, "monitor.parse.dates")
    old_s = other(tree, "monitor.parse.shapes")
    texts, urls, when = inputs()
    print(f"{len(texts):,} texts, {len(urls):,} URLs, {len(when):,} dates")
    bases = ("", FEED_URL, "https://example.com/a/b?c=d")
    pairs = [(u, b) for u in urls for b in bases]
    keys = [(g, None, "t", "s") for g in urls] + [(None, None, t, t) for t in texts]
    return sum((
        compare("clean_text", old_n.clean_text, normalize.clean_text, ((t,) for t in texts)),
        compare("summary_text", old_n.summary_text, normalize.summary_text, ((t,) for t in texts)),
        compare("canonical_url", old_n.canonical_url, normalize.canonical_url, pairs),
        compare("item_key", old_n.item_key, normalize.item_key, keys),
        compare("plain_absolute", old_f.plain_absolute, fields.plain_absolute, ((u,) for u in urls)),
        compare("resolve", old_f.resolve, fields.resolve, pairs),
        compare("entry_link", old_f.entry_link, fields.entry_link, pairs),
        compare("text", old_f.text, fields.text, ((t,) for t in texts)),
        compare("usual_date", old_d.usual_date, dates.usual_date, ((d,) for d in when)),
        compare("date", lambda d: old_d.date(d, NOW), lambda d: dates.date(d, NOW), ((d,) for d in when)),
        compare("plain_attributes", old_s.plain_type, lambda e: shapes.plain_attributes(e.items()),
                ((e,) for e in elements())),
    ))  # fmt: skip


def feeds(tree: Path) -> dict[str, Any]:
    """In a child process with ``tree`` first on the path: every body's parse, by name."""
    sys.path.insert(0, str(tree))
    from realfeeds import feed_body, real_headlines

    from monitor.parse import parse_feed
    from monitor.parse.known import Recall

    assert Path(sys.modules["monitor"].__file__ or "").parent.parent == tree, "wrong monitor"
    out: dict[str, Any] = {}

    def run(name: str, body: bytes, content_type: str) -> None:
        recall = Recall(None, FEED_URL, NOW.timestamp(), 0.0)
        try:
            feed = parse_feed(body, {"content-type": content_type}, url=FEED_URL, now=NOW,
                              recall=recall)  # fmt: skip
            out[name] = [repr(feed), recall.taken]
        except Exception as e:
            out[name] = [type(e).__name__, str(e)]

    long_base = b' xml:base="http://example.org/' + b"x" * 9000 + b'"'
    for path in feed_files():
        body = path.read_bytes()
        for content_type in ("application/xml", "application/rss+xml; charset=utf-8"):
            run(f"{path}|{content_type}", body, content_type)
        root = max(body.find(b"<rss"), body.find(b"<feed"))
        if root >= 0:
            end = body.find(b">", root)
            run(f"{path}|long base", body[:end] + long_base + body[end:], "application/xml")
            short = b' xml:base="http://example.org/b/"'
            run(f"{path}|short base", body[:end] + short + body[end:], "application/xml")
        run(f"{path}|doctype", body.replace(b"<!DOCTYPE", b"<!doctype"), "application/xml")
    pool = real_headlines()
    for i in range(300):
        run(f"bench {i}", feed_body(i, 50, pool), "application/rss+xml")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--code", type=Path, required=True, help="a checkout to compare with")
    ap.add_argument("--feeds-of", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    if args.feeds_of:
        print(json.dumps(feeds(args.feeds_of.resolve())))
        return
    tree = args.code.resolve()
    differ = functions(tree)
    parses = []
    for checkout in (tree, BENCH.parent):
        command = [sys.executable, __file__, "--code", str(tree), "--feeds-of", str(checkout)]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        parses.append(json.loads(done.stdout))
    before, after = parses
    assert before.keys() == after.keys()
    changed = [name for name in before if before[name] != after[name]]
    for name in changed[:3]:
        print(f"  differs: parse_feed of {name}")
    taken = sum(v[1] is True for v in after.values())
    print(f"parse_feed: {len(before):,} bodies ({taken:,} by the fast path), {len(changed)} differ")
    sys.exit(1 if differ or changed else 0)


if __name__ == "__main__":
    sys.path.insert(0, str(BENCH.parent))
    sys.path.insert(1, str(BENCH))
    main()
