"""review20h: Google News' descriptions end with a "View Full Coverage" link in <strong> (seen in
public parsers of its RSS: '...<font color="#6f6f6f">Reuters</font><strong><a href=
"https://news.google.com/stories/...">View Full Coverage on Google News</a></strong>',
inside the <ol> as a last <li> for grouped items; localized: "Google 뉴스에서 전체 콘텐츠
보기"). normalize._HEADLINE_LIST allowed no <strong> (at 99d40da), so summary_text kept such a
description: the AP item still fired on RT's "Zelensky" (explore20's defect) and the single
item showed its headline again as a lede."""

from __future__ import annotations

from pathlib import Path

from feedserver import FeedServer
from test_alert_aggregator_lede import GROUPED, HEAD, KREMLIN, _link, chat, feed

from monitor.normalize import summary_text

FULL = (
    '<strong><a href="https://news.google.com/stories/CAAqNggKIjBDQklT?oc=5" '
    'target="_blank">View Full Coverage on Google News</a></strong>'
)


def _grouped_with_footer() -> str:
    items = "".join(
        f"<li>{_link(f'https://news.google.com/rss/articles/{n}?oc=5', h, o)}</li>"
        for n, (h, o) in enumerate(GROUPED)
    )
    return f"<ol>{items}<li>{FULL}</li></ol>"


def test_summary_text_drops_the_real_google_shapes() -> None:
    # the grouped list is no summary; a single item's is its own headline and outlet, the
    # footer's "View Full Coverage" dropped (a lede repeating the headline is not shown)
    single = _link("https://o.example/a", HEAD, "Ukrainska Pravda") + FULL
    assert summary_text(single) == f"{HEAD} Ukrainska Pravda"
    assert summary_text(_grouped_with_footer()) == ""


async def test_other_outlets_headlines_with_full_coverage_link_do_not_fire(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    body = feed(KREMLIN, _grouped_with_footer(), "The Associated Press")
    assert await chat(feed_server, tmp_path, body) == []
