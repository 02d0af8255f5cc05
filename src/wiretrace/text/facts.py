"""Facts as written: figures, dates, times and dotted initials read to one value whatever their form.

Two texts may write one fact in other forms: "1,800" / "1800" / "1.8 thousand", "$3.8bn" /
"3.8 billion", "two" / "2", "30 September 2003" / "Sept. 30", "0240 GMT" / "2:40 a.m.", "N.R.A." /
"NRA". ``facts`` finds them in a text with their character span and a value; ``same_fact`` says
whether two values can be one fact: a date without its year agrees with the same day of any year,
and a quantity agrees with itself in another unit of its dimension within the rounding such a
conversion is written with ("220 pounds" / "100 kg", ``ROUNDING``); in one unit the figures must
be equal ("16.70" / "17.30 mln tonnes" are two estimates).

Parsing never raises: whatever does not read as one of these forms is simply not a fact.
"""

from __future__ import annotations

import re
from bisect import bisect_right, insort
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

_MONTH = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12, "jan": 1, "feb": 2, "mar": 3, "apr": 4,
    "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
_SCALE = {
    "thousand": 10**3, "million": 10**6, "mln": 10**6, "billion": 10**9, "bln": 10**9, "bn": 10**9,
    "trillion": 10**12, "trn": 10**12,
}
_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
          "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_WORD_VALUE = {w: i for i, w in enumerate(_UNITS)} | _TENS
_ORDINAL = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
            "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12}

# Months capitalised, as names are written ("may" and "march" are verbs too).
_MONTHS = "|".join(m.capitalize() for m in sorted(_MONTH, key=len, reverse=True))
_DAY = r"(?P<{0}>[0-3]?\d)(?:st|nd|rd|th)?"
_DATE_MD = re.compile(rf"\b(?P<m>{_MONTHS})\.?\s+{_DAY.format('d')}\b(?:,?\s+(?P<y>(?:1[89]|20)\d\d)\b)?")
_DATE_DM = re.compile(rf"\b{_DAY.format('d')}\s+(?:of\s+)?(?P<m>{_MONTHS})\b\.?(?:,?\s+(?P<y>(?:1[89]|20)\d\d)\b)?")
_TIME_AMPM = re.compile(r"\b(?P<h>[01]?\d)(?:[:.](?P<mi>[0-5]\d))?\s*(?P<ap>[ap])\.?\s?m\b\.?", re.I)
_TIME_24 = re.compile(r"\b(?P<h>[01]\d|2[0-3])(?P<mi>[0-5]\d)\s*(?:GMT|UTC|hrs)\b")
_TIME_COLON = re.compile(r"\b(?P<h>[01]?\d|2[0-3]):(?P<mi>[0-5]\d)\b")
_INITIALS = re.compile(r"(?<![\w.])(?:[A-Z]\.){2,}|\b[A-Z]{2,6}\b")
_NUMBER = re.compile(
    r"(?<![\w.,])(?P<int>\d{1,3}(?:,\d{3})+|\d{1,3}(?:[ \u00a0\u2009]\d{3})+(?![\d.,-])|\d+)(?:\.(?P<frac>\d+))?(?![.,]\d)"
    r"(?:(?P<glued>bn|mln|bln)\b|\s*(?P<scale>thousand|million|mln|billion|bln|bn|trillion|trn)\b)?",
    re.I,
)
_NUMBER_WORD = re.compile(
    r"\b(?P<tens>" + "|".join(_TENS) + r")(?:[-\s](?P<unit>" + "|".join(_UNITS[1:10]) + r"))?\b"
    r"|\b(?P<word>" + "|".join(_UNITS) + r")\b", re.I,
)
_SCALE_AFTER = re.compile(r"\s+(?P<scale>thousand|million|billion|trillion)\b", re.I)
_ORDINAL_RE = re.compile(r"\b(?:(?P<n>\d+)(?:st|nd|rd|th)|(?P<w>" + "|".join(_ORDINAL) + r"))\b", re.I)

# Units a conversion between is exact (factor to the dimension's base unit); "pounds" is a weight
# here (a sum in pounds converts to no weight within rounding), tons are left out (short, long, metric).
_UNIT = {
    "km": ("length", 1000.0), "kilometres": ("length", 1000.0), "kilometers": ("length", 1000.0), "kilometre": ("length", 1000.0),
    "kilometer": ("length", 1000.0), "miles": ("length", 1609.344), "mile": ("length", 1609.344), "metres": ("length", 1.0),
    "meters": ("length", 1.0), "metre": ("length", 1.0), "meter": ("length", 1.0), "feet": ("length", 0.3048),
    "foot": ("length", 0.3048), "ft": ("length", 0.3048), "inches": ("length", 0.0254), "inch": ("length", 0.0254),
    "yards": ("length", 0.9144), "cm": ("length", 0.01), "centimetres": ("length", 0.01), "centimeters": ("length", 0.01),
    "kg": ("mass", 1.0), "kgs": ("mass", 1.0), "kilograms": ("mass", 1.0), "kilogram": ("mass", 1.0), "kilos": ("mass", 1.0),
    "pounds": ("mass", 0.45359237), "pound": ("mass", 0.45359237), "lb": ("mass", 0.45359237), "lbs": ("mass", 0.45359237),
    "grams": ("mass", 0.001), "ounces": ("mass", 0.028349523125), "oz": ("mass", 0.028349523125),
    "tonnes": ("mass", 1000.0), "tonne": ("mass", 1000.0),
    "hectares": ("area", 10000.0), "hectare": ("area", 10000.0), "ha": ("area", 10000.0), "acres": ("area", 4046.8564224),
    "acre": ("area", 4046.8564224), "litres": ("volume", 1.0), "liters": ("volume", 1.0), "gallons": ("volume", 3.785411784),
    "fahrenheit": ("temperature", 5 / 9), "celsius": ("temperature", 1.0), "centigrade": ("temperature", 1.0),  # (affine: see _quantity)
}
_UNIT_AFTER = re.compile(r"[ \u00a0-]?(?:degrees\s+)?(?P<u>" + "|".join(sorted(_UNIT, key=len, reverse=True)) + r")\b", re.I)
_RANGE = re.compile(r"\s*(?:and|to|or|-|–)\s*$", re.I)  # "between 30 and 80 pounds": the unit is both figures'
ROUNDING = 0.04  # a conversion agrees within this share of the value (figures written rounded: "220 pounds (100 kg)")

Value = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Fact:
    """One fact as a text writes it: its character span and its value (kind first)."""

    start: int
    end: int
    value: Value


def _number(int_part: str, frac: str | None, scale: str | None) -> Value | None:
    try:
        v = Decimal(re.sub(r"[,\s]", "", int_part) + ("." + frac if frac else ""))
    except InvalidOperation:
        return None
    if scale:
        v *= _SCALE[scale.lower()]
    return ("num", format(v.normalize(), "f"))


def facts(text: str, start: int = 0, end: int | None = None) -> list[Fact]:
    """The facts written in ``text[start:end]``, by position, none overlapping (dates and times
    first, then initials, ordinals and figures)."""
    end = len(text) if end is None else end
    found: list[Fact] = []
    taken: list[tuple[int, int]] = []  # spans found, sorted, none overlapping

    def free(s: int, e: int) -> bool:
        k = bisect_right(taken, (s, len(text) + 1))
        return (k == 0 or taken[k - 1][1] <= s) and (k == len(taken) or taken[k][0] >= e)

    def add(s: int, e: int, value: Value | None) -> None:
        if value is not None and free(s, e):
            found.append(Fact(s, e, value))
            insort(taken, (s, e))

    for rx in (_DATE_MD, _DATE_DM):
        for m in rx.finditer(text, start, end):
            day = int(m.group("d"))
            if 1 <= day <= 31:
                add(m.start(), m.end(), ("date", str(_MONTH[m.group("m").lower()]), str(day), m.group("y") or ""))
    for m in _TIME_AMPM.finditer(text, start, end):
        h = int(m.group("h"))
        if 1 <= h <= 12:
            add(m.start(), m.end(), ("time", str((h % 12 + (12 if m.group("ap").lower() == "p" else 0)) * 60 + int(m.group("mi") or 0))))
    for rx in (_TIME_24, _TIME_COLON):
        for m in rx.finditer(text, start, end):
            add(m.start(), m.end(), ("time", str(int(m.group("h")) * 60 + int(m.group("mi")))))
    for m in _INITIALS.finditer(text, start, end):
        add(m.start(), m.end(), ("initials", m.group().replace(".", "").lower()))
    for m in _ORDINAL_RE.finditer(text, start, end):
        n = m.group("n")
        add(m.start(), m.end(), ("ordinal", str(int(n) if n else _ORDINAL[m.group("w").lower()])))
    prev: tuple[int, int, Value] | None = None  # the last plain figure: a range's first end
    for m in _NUMBER.finditer(text, start, end):
        v = _number(m.group("int"), m.group("frac"), m.group("glued") or m.group("scale"))
        u = _UNIT_AFTER.match(text, m.end(), end)
        e = m.end()
        if v is not None and u is not None:
            qty = _quantity(v[1], u.group("u"))
            if prev is not None and _RANGE.match(text, prev[1], m.start()):
                found[-1] = Fact(prev[0], prev[1], _quantity(prev[2][1], u.group("u")))  # prev is the last fact added
            v, e = qty, u.end()
        before = len(found)
        add(m.start(), e, v)
        prev = (m.start(), e, v) if v is not None and v[0] == "num" and len(found) > before else None
    for m in _NUMBER_WORD.finditer(text, start, end):
        if m.group("word"):
            n = _WORD_VALUE[m.group("word").lower()]
        else:
            n = _TENS[m.group("tens").lower()] + (_WORD_VALUE[m.group("unit").lower()] if m.group("unit") else 0)
        e = m.end()
        sc = _SCALE_AFTER.match(text, e, end)
        add(m.start(), sc.end() if sc else e, _number(str(n), None, sc.group("scale") if sc else None))
    found.sort(key=lambda f: f.start)
    return found


def _quantity(number: str, unit: str) -> Value:
    """A figure with its unit: ("qty", dimension, the value in the dimension's base unit, the figure, the unit)."""
    dim, factor = _UNIT[unit.lower()]
    x = float(number)
    if dim == "temperature":  # Celsius as the base
        x = (x - 32.0) * 5.0 / 9.0 if unit.lower() == "fahrenheit" else x
    else:
        x *= factor
    return ("qty", dim, repr(x), number, unit.lower())


def same_fact(u: Value, v: Value) -> bool:
    """Whether two values are one fact: equal; the same day of a month where one side writes no
    year; one quantity in two units, within rounding (``ROUNDING``: a conversion is written rounded;
    in one unit the figures must be equal); a figure with its unit and the same figure without."""
    if u == v:
        return True
    if u[0] == v[0] == "date" and u[1:3] == v[1:3]:
        return not u[3] or not v[3]
    if u[0] == v[0] == "qty":
        if u[1] != v[1]:
            return False
        if _UNIT[u[4]] == _UNIT[v[4]]:
            return u[3] == v[3]  # one unit (or its spellings): the figures themselves
        x, y = float(u[2]), float(v[2])
        return abs(x - y) <= ROUNDING * max(abs(x), abs(y)) if u[1] != "temperature" else abs(x - y) <= 1.0
    if {u[0], v[0]} == {"num", "qty"}:
        return (u[1] if u[0] == "num" else u[3]) == (v[1] if v[0] == "num" else v[3])
    return False


def fact_at(found: list[Fact], starts: list[int], pos: int) -> int | None:
    """The index in ``found`` (sorted by start; ``starts`` their starts) of the fact covering
    character ``pos``, or None."""
    i = bisect_right(starts, pos) - 1
    return i if i >= 0 and found[i].start <= pos < found[i].end else None
