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

from monitor.parse.item import plausible, struct_to_dt

_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
# feedparser's zone names (datetimes/rfc822.py) that feeds write, in hours east of UTC; UTC
# is not among its names, and it reads a name it does not know as UTC.
_ZONES = {
    "gmt": 0, "ut": 0, "utc": 0, "z": 0,
    "edt": -4, "est": -5, "cdt": -5, "cst": -6, "mdt": -6, "mst": -7, "pdt": -7, "pst": -8,
}  # fmt: skip
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
        month = _MONTHS.get(month_name.lower())
        if month is None:
            return None
        if zone is None:
            east = int(oh) * 60 + int(om)
            east = -east if sign == "-" else east
        else:
            hours = _ZONES.get(zone.lower())
            if hours is None:
                return None
            east = hours * 60
        fields = (int(year), month, int(day), int(hour), int(minute), int(second or 0))
    else:
        m = _RFC3339.fullmatch(value)
        if not m:
            return None
        year, month_text, day, hour, minute, second, _, sign, oh, om = m.groups()
        fields = (
            int(year), int(month_text), int(day), int(hour or 0), int(minute or 0),
            int(second or 0),
        )  # fmt: skip
        east = 0
        if sign:
            east = int(oh) * 60 + int(om)
            east = -east if sign == "-" else east
    if not 1900 < fields[0] < 2100 or fields[3] > 23 or fields[4] > 59 or fields[5] > 59:
        return None  # odd values: feedparser's readers differ on them, so it decides
    try:
        dt = datetime(*fields, tzinfo=UTC)
    except ValueError:
        return None
    return dt - timedelta(minutes=east) if east else dt
