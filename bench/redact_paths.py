"""How often the look of a key in a URL's path (``redact.register_keys``) takes a real URL's
part for one: the false positives a user would see as "***" where an id should be.

Counted on the real URLs of /work/shared/data: the 6,366 article links of the UCI News
Aggregator slice (1,948 publishers), as if each were a configured feed's URL (the worst case:
the rule is only ever applied to configured feeds' URLs and the URLs they move to), and the
feed and article URLs found in the real feeds and feedparser's test feeds. Prints, for each
set, how many URLs have a path part registered as a key, over how many hosts, and examples.

    python bench/redact_paths.py [--examples N]
"""

from __future__ import annotations

import argparse
import collections
import csv
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor import redact

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
_URL = re.compile(r"https?://[^\s\"'<>]+")
_FEEDLIKE = re.compile(r"rss|feed|atom|\.xml|podcast", re.IGNORECASE)


def uci_links() -> list[str]:
    (path,) = (DATA / "uci-news-2014-03").glob("*.csv")
    with path.open(encoding="utf-8") as f:
        return [row["URL"] for row in csv.DictReader(f)]


def feed_file_urls() -> list[str]:
    found: set[str] = set()
    for folder in ("real-feeds", "feedparser-tests"):
        for path in (DATA / folder).rglob("*"):
            if path.is_file():
                found.update(_URL.findall(path.read_text("utf-8", errors="replace")))
    return sorted(found)


def flagged(urls: list[str]) -> list[tuple[str, list[str]]]:
    """Each URL whose path ``register_keys`` takes a part of for a key, with those parts."""
    out = []
    for url in urls:
        redact._keys.clear()
        redact.register_keys(url.split("?")[0].split("#")[0])  # the path's rule alone
        if redact._keys:
            out.append((url, sorted(redact._keys)))
    redact._keys.clear()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=8)
    args = ap.parse_args()
    found = feed_file_urls()
    for name, urls in (("UCI article links", uci_links()),
                       ("URLs in real-feeds and feedparser-tests", found),
                       ("... of them, feeds' (rss, feed, atom, .xml, podcast)",
                        [u for u in found if _FEEDLIKE.search(u.split("?")[0])])):  # fmt: skip
        hits = flagged(urls)
        hosts = collections.Counter(u.split("/")[2] for u, _ in hits)
        print(
            f"{name}: {len(hits)} of {len(urls)} URLs ({100 * len(hits) / max(1, len(urls)):.1f}%)"
            f" have a path part taken for a key, on {len(hosts)} of"
            f" {len({u.split('/')[2] for u in urls if u.count('/') >= 2})} hosts"
        )
        print("  commonest hosts:", ", ".join(f"{h} {n}" for h, n in hosts.most_common(6)))
        for url, keys in hits[: args.examples]:
            print(f"  {keys[0][:40]:40}  {url[:110]}")


if __name__ == "__main__":
    main()
