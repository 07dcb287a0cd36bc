"""Several alerts as one message (a channel's ``digest``): the mail's subject, plain text and
HTML, and Telegram's short entries, from how each alert reads alone (``render``)."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.channels.render import (
    BODY_STYLE,
    clip_escaped,
    escape,
    html_text,
    plain_text,
    safe_url,
    utf16_len,
)
from monitor.channels.updates import headline
from monitor.models import Alert


def digest_title(alerts: Sequence[Alert]) -> str:
    """``3 alerts: “A”, “B”, “C”``: each headline quoted, since one may hold the separator
    ("Market Wrap: Chiquita ...; eBay ..." read as two; explore9)."""
    n = len(alerts)
    return f"{n} alert{'s' if n != 1 else ''}: " + ", ".join(
        f"\u201c{headline(a)}\u201d" for a in alerts[:3]
    )


def digest_plain(alerts: Sequence[Alert]) -> str:
    return "\n\n".join(f"{i}. {plain_text(a)}" for i, a in enumerate(alerts, 1))


def digest_html(alerts: Sequence[Alert]) -> str:
    body = "".join(
        html_text(a)
        .removeprefix(f'<html><body style="{BODY_STYLE}">\n')
        .removesuffix("\n</body></html>\n")
        + "<hr>\n"
        for a in alerts
    )
    return (
        f'<html><body style="{BODY_STYLE}">\n<h1>{len(alerts)} alerts</h1>\n{body}</body></html>\n'
    )


def telegram_digest(alerts: Sequence[Alert], limit: int = 4096) -> str:
    """Several alerts as one Telegram message: one short entry each, all within ``limit``."""
    head = f"<b>{len(alerts)} alerts</b>"
    per = (limit - utf16_len(head)) // max(1, len(alerts)) - 2
    entries = []
    for alert in alerts:
        url = safe_url(alert.url)
        link_cost = utf16_len(f' <a href="{escape(url)}">link</a>') if url else 0
        if link_cost > per // 2:
            url, link_cost = None, 0
        detail = f" ({len(alert.outlets)} outlets, {alert.rule})" if alert.rule else ""
        text = clip_escaped(alert.title + detail, per - link_cost - 2)
        entry = f"• {text}" + (f' <a href="{escape(url)}">link</a>' if url else "")
        entries.append(entry)
    return "\n".join([head, *entries])
