"""parse.amp: a stray "&" escaped before feedparser's loose parser reads it as an entity.

A body strict XML refused goes to feedparser, whose loose parser reads "AT&T boss" as the
reference "&T" and shows "AT&T; boss". Escaping each "&" that begins no character or entity
reference (outside CDATA sections, where an "&" is literal already) keeps the text as the
outlet wrote it; well-formed XML has no such "&" outside comments, where it is dropped anyway.
"""

from __future__ import annotations

import re

_STRAY = re.compile(rb"&(?!#\d+;|#[xX][0-9a-fA-F]+;|[A-Za-z_][\w.-]*;)")
_CDATA = re.compile(rb"(<!\[CDATA\[.*?(?:\]\]>|\Z))", re.S)


def escape_stray_amps(body: bytes) -> bytes:
    """``body`` with each stray "&" outside CDATA written as "&amp;"; the same object when it
    has none, or when it is not in an ASCII-compatible encoding (UTF-16/32: NUL bytes;
    ISO-2022-JP and the like, whose escape sequences make "&" a byte of a character)."""
    if b"&" not in body or b"\x00" in body[:4] or body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return body
    if b"\x1b" in body:
        return body
    parts = _CDATA.split(body)
    # split with one group: even indexes are outside CDATA, odd ones are the sections.
    changed = False
    for i in range(0, len(parts), 2):
        escaped = _STRAY.sub(b"&amp;", parts[i])
        if escaped != parts[i]:
            parts[i], changed = escaped, True
    return b"".join(parts) if changed else body
