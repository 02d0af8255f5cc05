"""Find a calendar date in free text and write it as ISO ``YYYY-MM-DD``.

Only unambiguous forms are read: ISO-like ``2022-09-19`` (also ``/`` or ``.`` separated, optionally
followed by a time), ``September 19, 2022`` and ``19 September 2022`` (English month names, full or
abbreviated). ``09/19/2022`` is left alone: day and month cannot be told apart.
"""

from __future__ import annotations

import datetime as dt
import re

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH = (
    r"(?P<{g}>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ISO = r"(?<!\d)(?P<y1>\d{4})(?P<sep>[-/.])(?P<m1>\d{1,2})(?P=sep)(?P<d1>\d{1,2})(?!\d)"
_MDY = r"\b" + _MONTH.format(g="mon2") + r"\s+(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{4})(?!\d)"
_DMY = r"(?<!\d)(?P<d3>\d{1,2})(?:st|nd|rd|th)?\.?\s+" + _MONTH.format(g="mon3") + r",?\s+(?P<y3>\d{4})(?!\d)"
DATE = re.compile(f"{_ISO}|{_MDY}|{_DMY}", re.IGNORECASE)

_YEARS = range(1900, 2101)  # outside this range a match is more likely a number than a date


def find_date(text: str) -> tuple[str, re.Match[str]] | None:
    """The first valid date in ``text`` as ``("YYYY-MM-DD", match)``, or None."""
    for match in DATE.finditer(text):
        iso = _as_iso(match)
        if iso is not None:
            return iso, match
    return None


def parse_date(value: str) -> str | None:
    """``value`` (an ISO timestamp, an RFC 2822 date, "Sept. 19, 2022"...) as ``YYYY-MM-DD``, or None."""
    found = find_date(value)
    return found[0] if found else None


def _as_iso(match: re.Match[str]) -> str | None:
    groups = match.groupdict()
    if groups["y1"]:
        year, month, day = int(groups["y1"]), int(groups["m1"]), int(groups["d1"])
    elif groups["y2"]:
        year, month, day = int(groups["y2"]), _MONTHS[groups["mon2"][:3].lower()], int(groups["d2"])
    else:
        year, month, day = int(groups["y3"]), _MONTHS[groups["mon3"][:3].lower()], int(groups["d3"])
    if year not in _YEARS:
        return None
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None
