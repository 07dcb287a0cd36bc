"""parse.dates: a feed's date as feedparser reads it, in UTC.

The forms nearly every feed writes (RFC 822 as RSS 2.0 asks, with the zone names feedparser
knows; RFC 3339 / W3C-DTF as Atom asks) are read here. Anything else goes to feedparser's own
date reader, imported then: a process whose feeds all write the usual forms never loads
feedparser. tests/test_parse_dates.py checks every date string of the shared corpus against
feedparser's reader.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from itertools import product

from monitor.parse.item import plausible, struct_to_dt

_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# feedparser's zone names (datetimes/rfc822.py) that feeds write, in hours east of UTC; UTC
# is not among its names, and it reads a name it does not know as UTC.
_ZONE_HOURS = {
    "gmt": 0, "ut": 0, "utc": 0, "z": 0,
    "edt": -4, "est": -5, "cdt": -5, "cst": -6, "mdt": -6, "mst": -7, "pdt": -7, "pst": -8,
}  # fmt: skip


def _any_case(names: dict[str, int]) -> dict[str, int]:
    """``names`` under every spelling in upper and lower case: one look-up for a name as a
    feed writes it ("Mar", "GMT"), without lower-casing it first."""
    return {
        "".join(letters): value
        for name, value in names.items()
        for letters in product(*((c.lower(), c.upper()) for c in name))
    }


_MONTHS = _any_case({m: i + 1 for i, m in enumerate(_MONTH_NAMES)})
_ZONES = _any_case(_ZONE_HOURS)
_RFC822 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d\d?) ([A-Za-z]{3}) (\d{4})"
    r" (\d\d):(\d\d)(?::(\d\d))? (?:([A-Za-z]{1,3})|([+-])(\d\d)(\d\d))"
)
_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)"
    r"(?:T(\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?(?:(Z)|([+-])(\d\d):(\d\d))?)?"
)


def date(value: str, now: datetime) -> datetime | None:
    """A date as feedparser reads it, in UTC; None for no date (and for one out of range)."""
    if not value:
        return None
    dt = usual_date(value)
    if dt is None:
        # Imported here: feedparser, loaded whole, is for the dates this module leaves to it.
        from feedparser.datetimes import _parse_date

        return struct_to_dt(_parse_date(value), now)
    return plausible(dt, now)


def usual_date(value: str) -> datetime | None:
    """``value`` in one of the usual forms, in UTC; None when it is not (feedparser decides)."""
    m = _RFC822.fullmatch(value)
    if m:
        day, month_name, year, hour, minute, second, zone, sign, oh, om = m.groups()
        month = _MONTHS.get(month_name)
        if month is None:
            return None
        if zone is None:
            east = int(oh) * 60 + int(om)
            east = -east if sign == "-" else east
        else:
            hours = _ZONES.get(zone)
            if hours is None:
                return None
            east = hours * 60
    else:
        m = _RFC3339.fullmatch(value)
        if not m:
            return None
        year, month_text, day, hour, minute, second, _, sign, oh, om = m.groups()
        month = int(month_text)
        east = 0
        if sign:
            east = int(oh) * 60 + int(om)
            east = -east if sign == "-" else east
    y, h = int(year), int(hour or 0)
    mi, sec = int(minute or 0), int(second or 0)
    if not 1900 < y < 2100 or h > 23 or mi > 59 or sec > 59:
        return None  # odd values: feedparser's readers differ on them, so it decides
    try:
        dt = datetime(y, month, int(day), h, mi, sec, 0, UTC)
    except ValueError:
        return None
    return dt - timedelta(minutes=east) if east else dt
