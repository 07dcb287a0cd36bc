"""How an alert reads: the words shared by every channel, in plain text and in HTML.

Telegram's HTML parse mode accepts only a few tags and the entities &lt; &gt; &amp; &quot;
(https://core.telegram.org/bots/api#html-style); everything here escapes with exactly those,
and truncates plain text *before* escaping so a cut never lands inside a tag or an entity.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC

from monitor.channels.updates import (
    follows_line,
    from_line,
    grown_heading,
    headline,
    more_line,
    new_angles,
    shows_lede,
)
from monitor.models import Alert
from monitor.normalize import cut_at_word

ELLIPSIS = "…"
# The most outlets named in "also reported by"; the rest are counted ("+12").
NAMED_OUTLETS = 3

_HEADINGS = {
    "new": "New story",
    "burst": "Spreading fast",
    "update": "Update",
    "health": "Feed health",
    "test": "Test alert",
    "storm": "Alert storm",
}


def escape(text: str) -> str:
    """Escape for Telegram HTML and email HTML: only &, <, > and (in attributes) "."""
    return html.escape(text, quote=True).replace("&#x27;", "'")


def utf16_len(text: str) -> int:
    """Telegram measures text in UTF-16 code units (https://core.telegram.org/api/entities)."""
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-16 units, where a word ends (``cut_at_word``),
    with an ellipsis when cut."""
    text = " ".join(text.split())
    if utf16_len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    kept = used = 0
    for ch in text:
        size = 2 if ord(ch) > 0xFFFF else 1
        if used + size > limit - 1:
            break
        kept += 1
        used += size
    return cut_at_word(text, kept) + ELLIPSIS


def clip_escaped(text: str, limit: int) -> str:
    """``text`` cut so that its *escaped* form fits ``limit`` units; returns the escaped form."""
    text = " ".join(text.split())
    if utf16_len(escape(text)) <= limit:
        return escape(text)
    kept = used = 0
    budget = limit - 1  # room for the ellipsis
    for ch in text:
        size = utf16_len(escape(ch))
        if used + size > budget:
            break
        kept += 1
        used += size
    return escape(cut_at_word(text, kept)) + ELLIPSIS if limit > 0 else ""


def heading(alert: Alert) -> str:
    """What the message is: an update sent as a message of its own says it is one."""
    return _HEADINGS.get(alert.kind, "Alert")


def edited_heading(alert: Alert) -> str:
    """The heading of a message edited in place (Telegram): an update keeps its first
    message's ("Spreading fast" stays so as the story grows) until its event has a new
    angle: then it says it grew ("Update (3 angles)", "Spreading fast (3 angles)")."""
    kind = alert.extra.get("of_kind", alert.kind) if alert.kind == "update" else alert.kind
    return grown_heading(alert, _HEADINGS.get(kind, "Alert"))


def subject(alert: Alert) -> str:
    """A mail subject: the headline, after the heading for anything but a new story; an
    update also counts the other new angles."""
    if alert.kind == "new":
        return alert.title
    heads, more = new_angles(alert)
    others = len(heads) - 1 + more
    return f"{heading(alert)}: {headline(alert)}" + (f" (+{others} more)" if others > 0 else "")


def first_subject(alert: Alert) -> str:
    """The subject of the first message an update follows: its kind's, its headline (an
    update keeps its first alert's title)."""
    kind = alert.extra.get("of_kind", "new") if alert.kind == "update" else alert.kind
    return subject(replace(alert, kind=kind))


def rule_names(alert: Alert) -> str:
    """``a``, or ``a, b`` where several rules matched one event (one message)."""
    return alert.extra.get("rules") or alert.rule or ""


def rules_line(alert: Alert) -> str:
    """``Rule: a``, or ``Rules: a, b`` where several rules matched one event (one message)."""
    rules = rule_names(alert)
    return f"Rule{'s' if ', ' in rules else ''}: {rules}"


def event_line(alert: Alert, *, listed: bool = False) -> str:
    """How an alerted event has grown: ``14 outlets, 3 angles; new: A; B and 2 more`` (or
    ``latest: ...`` for an alert queued before updates named their new angles; without the
    headlines when the caller lists them, ``listed``); "" until it has more than the one
    story it was alerted with."""
    angles = alert.angles
    if alert.event_id is None or (angles <= 1 and alert.kind != "update"):
        return ""
    n = len(alert.outlets)
    line = f"{n} outlet{'s' if n != 1 else ''}, {angles} angle{'s' if angles != 1 else ''}"
    heads, more = new_angles(alert)
    if heads:
        if listed:
            return line
        return (
            f"{line}; new: "
            + "; ".join(clip(h, 200) for h in heads)
            + (f" {more_line(more)}" if more else "")
        )
    latest = alert.extra.get("latest", "")
    return f"{line}; latest: {clip(latest, 200)}" if latest else line


def outlets_line(
    outlets: Sequence[str], named: int = NAMED_OUTLETS, *, event_angles: int = 1
) -> str:
    """``Kremlin — also reported by: TASS, Reuters, +12``. An alert's outlets are its
    event's: once the event has more than one story (``event_angles``), the others may have
    carried another of them, not this headline, so they are named as the event's."""
    if not outlets:
        return ""
    first, others = clip(outlets[0], 60), [clip(o, 40) for o in outlets[1:]]
    if not others:
        return first
    shown = ", ".join(others[:named])
    more = len(others) - named
    said = "also covering this event" if event_angles > 1 else "also reported by"
    return f"{first} — {said}: {shown}" + (f", +{more}" if more > 0 else "")


def alert_outlets_line(alert: Alert) -> str:
    """``outlets_line`` of an alert: of its story, or of its event."""
    angles = alert.angles if alert.event_id is not None else 1
    return outlets_line(alert.outlets, event_angles=angles)


def published_line(alert: Alert) -> str:
    """``Published 5 Sep 2025, 14:03 UTC`` for an alert about news ("" for the others);
    ``First seen ...`` for an item without a date of its own: the time is monitor's."""
    if alert.published is None or alert.kind in ("health", "test"):
        return ""
    at = alert.published.astimezone(UTC)
    said = "First seen" if alert.undated else "Published"
    return f"{said} {at.day} {at:%b %Y, %H:%M} UTC"


def burst_line(alert: Alert) -> str:
    within = alert.extra.get("burst_within_text", "")
    count = alert.extra.get("burst_count", str(len(alert.outlets)))
    return f"{count} outlets within {within}" if within else f"{count} outlets"


def safe_url(url: str | None) -> str | None:
    """A link only when it is http(s) and of sane length (a 10 kB URL would eat the message)."""
    if url and url.lower().startswith(("http://", "https://")) and len(url) <= 1000:
        return url
    return None


def plain_text(alert: Alert) -> str:
    """The alert as plain text: email's text part, the console, the webhook's ``text``."""
    lines = [f"{heading(alert)}: {headline(alert)}"]
    if from_line(alert):
        lines.append(from_line(alert))
    if follows_line(alert):
        lines.append(follows_line(alert))
    elif published_line(alert):  # of the first story: not the date of an update's news
        lines.append(published_line(alert))
    if alert.kind == "burst" or alert.extra.get("of_kind") == "burst":
        lines.append(burst_line(alert))
    if alert.outlets:
        lines.append(alert_outlets_line(alert))
    if event_line(alert, listed=True):
        lines.append(event_line(alert, listed=True))
    heads, more = new_angles(alert)
    if heads:
        lines += ["New angles:", *(f"• {clip(h, 300)}" for h in heads)]
        lines += [more_line(more)] if more else []
    if alert.rule:
        why = f"{rules_line(alert)} ({alert.severity})"
        if alert.terms:
            why += " — matched: " + ", ".join(alert.terms)
        lines.append(why)
    if shows_lede(alert):  # not the first story's again in an update: read already
        lines += ["", alert.snippet]
    for key, value in alert.extra.items():
        if key == "message":
            lines += ["", value]
    url = safe_url(alert.url)
    if url:
        lines += ["", url]
    return "\n".join(lines)


# Inline styles: mail clients drop <style> blocks and external sheets (Gmail, Outlook).
BODY_STYLE = "font-family: Arial, Helvetica, sans-serif; font-size: 15px; line-height: 1.45;"
_H2 = "font-size: 19px; margin: 0 0 6px 0;"
_KIND = "font-size: 12px; color: #666; text-transform: uppercase; letter-spacing: 0.05em;"
_META = "color: #555; margin: 4px 0;"
_QUOTE = "margin: 12px 0; padding: 4px 12px; border-left: 3px solid #ccc; color: #222;"


def html_text(alert: Alert) -> str:
    """The alert as a small HTML document: email's HTML part."""
    parts = [
        f'<h2 style="{_H2}"><span style="{_KIND}">{escape(heading(alert))}</span><br>'
        f"{escape(headline(alert))}</h2>"
    ]
    if from_line(alert):
        parts.append(f'<p style="{_META}">{escape(from_line(alert))}</p>')
    if follows_line(alert):
        parts.append(f'<p style="{_META}">{escape(follows_line(alert))}</p>')
    elif published_line(alert):
        parts.append(f'<p style="{_META}">{escape(published_line(alert))}</p>')
    if alert.kind == "burst" or alert.extra.get("of_kind") == "burst":
        parts.append(f"<p><strong>{escape(burst_line(alert))}</strong></p>")
    if alert.outlets:
        parts.append(f'<p style="{_META}">{escape(alert_outlets_line(alert))}</p>')
    if event_line(alert, listed=True):
        parts.append(f'<p style="{_META}">{escape(event_line(alert, listed=True))}</p>')
    heads, more = new_angles(alert)
    if heads:
        items = "".join(f"<li>{escape(clip(h, 300))}</li>" for h in heads)
        tail = f"<p>{escape(more_line(more))}</p>" if more else ""
        parts.append(f"<p>New angles:</p><ul>{items}</ul>{tail}")
    if alert.rule:
        label, names = rules_line(alert).split(": ", 1)
        why = f"{label}: <strong>{escape(names)}</strong> ({escape(alert.severity)})"
        if alert.terms:
            why += " — matched: " + ", ".join(f"<em>{escape(t)}</em>" for t in alert.terms)
        parts.append(f"<p>{why}</p>")
    if shows_lede(alert):
        parts.append(f'<blockquote style="{_QUOTE}">{escape(alert.snippet)}</blockquote>')
    if "message" in alert.extra:
        parts.append(f"<p>{escape(alert.extra['message'])}</p>")
    url = safe_url(alert.url)
    if url:
        parts.append(f'<p><a href="{escape(url)}">{escape(clip(url, 120))}</a></p>')
    return f'<html><body style="{BODY_STYLE}">\n' + "\n".join(parts) + "\n</body></html>\n"


def telegram_html(alert: Alert, limit: int = 4096) -> str:
    """The alert for ``sendMessage``/``editMessageText`` with ``parse_mode=HTML``, ≤ ``limit``.

    Every variable part has its own cap, and the snippet gets what is left, so the result
    fits whatever the feed sent; tags only ever wrap whole, already-escaped parts.
    """
    # An edit that grew leads with the newest angle, from its outlet, and says what it follows.
    head = f"<b>{escape(edited_heading(alert))}:</b> <b>{clip_escaped(headline(alert), 600)}</b>"
    lines = [head]
    if from_line(alert):
        lines.append(f"<i>{clip_escaped(from_line(alert), 100)}</i>")
    if follows_line(alert):
        lines.append(f"<i>{clip_escaped(follows_line(alert), 600)}</i>")
    elif published_line(alert):
        lines.append(f"<i>{escape(published_line(alert))}</i>")
    if alert.kind == "burst" or alert.extra.get("of_kind") == "burst":
        lines.append(f"<i>{clip_escaped(burst_line(alert), 100)}</i>")
    if alert.outlets:
        lines.append(clip_escaped(alert_outlets_line(alert), 400))
    if event_line(alert, listed=True):
        lines.append(f"<i>{clip_escaped(event_line(alert, listed=True), 300)}</i>")
    heads, more = new_angles(alert)
    if heads:
        lines += ["<i>New angles:</i>", *(f"• {clip_escaped(h, 200)}" for h in heads)]
        lines += [escape(more_line(more))] if more else []
    if alert.rule:
        label, names = rules_line(alert).split(": ", 1)
        why = f"{label} <code>{clip_escaped(names, 200)}</code> ({escape(alert.severity)})"
        if alert.terms:
            why += " · " + clip_escaped(", ".join(alert.terms), 300)
        lines.append(why)
    if "message" in alert.extra:
        lines.append(clip_escaped(alert.extra["message"], 1000))
    url = safe_url(alert.url)
    # A health alert links its feed, not a story.
    link = "Open the feed" if alert.kind == "health" else "Read the story"
    tail = f'<a href="{escape(url)}">{link}</a>' if url else ""
    first = safe_url(alert.extra.get("first_url")) if from_line(alert) else None
    if url and first and first != url:  # the edit replaces the message that linked it
        tail = (
            f'<a href="{escape(url)}">Read the newest</a>'
            f' · <a href="{escape(first)}">First report</a>'
        )
    fixed = "\n".join([*lines, tail])
    room = limit - utf16_len(fixed) - 4  # two newlines around the snippet, with margin
    if alert.snippet and room > 20:
        lines.append("\n" + clip_escaped(alert.snippet, room))
    if tail:
        lines.append(tail)
    return "\n".join(lines)
