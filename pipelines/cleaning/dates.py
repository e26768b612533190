"""Dates (日期规范化): every format of the contract → ``YYYY-MM-DD``, or an issue.

`parse_date(text)` decides one cell; `standardise_dates(values)` applies it
to an arrow column, parsing each distinct string once.

Accepted (after trimming, full width → half width, spaces removed):

* ``2019-03-05`` ``2019/3/5`` ``2019.3.5`` ``2019年3月5日`` (also ``5号``),
  mixed separators, a trailing time (``2019-03-05 00:00:00``, what
  spreadsheets write for date-time cells) is dropped;
* ``20190305`` (8 digits);
* Excel serial numbers in the 1900 date system: ``43529`` → ``2019-03-05``
  (numbers 1–47848, i.e. 1900-01-01…2030-12-31; serial 60 is Excel's
  non-existent 1900-02-29 → ``date_impossible``; a fractional part, the time
  of day, is dropped);
* **month only** — ``2019.03`` ``2019.3`` ``2019-03`` ``2019/3`` ``2019年3月``
  ``201903`` — cannot be made canonical without a day: the value stays as
  typed with the issue ``date_month_only`` and ``partial`` ``2019-03``;
* **year only** — ``2019`` ``2019年`` — likewise, issue ``date_year_only``
  with ``partial`` ``2019``.  A 4-digit number 1900–2099 is read as a year,
  not as an Excel serial (serials 1900–2099 are dates in 1905, implausible
  here, while a typed year is common);
* impossible dates (``2019-02-30``, month 13, day 32) → ``date_impossible``
  (``partial`` is the year-month when the month is valid, else the year);
* real dates outside 1900-01-01…2030-12-31 → ``date_out_of_range``;
* anything else → ``date_format`` (not understood).

A value with an issue stays as typed (trimmed) in the std frame.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc

from .text import LS, as_large, remove_spaces, to_halfwidth, trim

DATE_MIN = date(1900, 1, 1)
DATE_MAX = date(2030, 12, 31)
EXCEL_EPOCH = date(1899, 12, 30)  # serial 61 = 1900-03-01 (Excel's phantom 1900-02-29 is serial 60)
SERIAL_MAX = (DATE_MAX - EXCEL_EPOCH).days  # 47848
YEAR_LIKE = range(1900, 2100)

_TIME_SUFFIX = re.compile(r"^(.*?\d)(?:[T\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$")
_YMD = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})[日号]?[.。]?$")
_YMD8 = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_YM = re.compile(r"^(\d{4})[-/.年](\d{1,2})月?[.。]?$")
_YM6 = re.compile(r"^(\d{4})(\d{2})$")
_Y = re.compile(r"^(\d{4})年?$")
_SERIAL = re.compile(r"^(\d{1,5})(?:\.\d+)?$")


@dataclass(frozen=True)
class DateParse:
    """The verdict on one date cell: `value` canonical (or None), else `code` (+ `partial`)."""

    value: str | None
    code: str | None = None
    partial: str | None = None
    rule: str | None = None


def _ymd(y: int, m: int, d: int, rule: str | None) -> DateParse:
    try:
        dt = date(y, m, d)
    except ValueError:
        if 1 <= m <= 12 and 1900 <= y:
            return DateParse(None, "date_impossible", f"{y:04d}-{m:02d}")
        return DateParse(None, "date_impossible", f"{y:04d}")
    if not DATE_MIN <= dt <= DATE_MAX:
        return DateParse(None, "date_out_of_range", dt.isoformat())
    return DateParse(dt.isoformat(), rule=rule)


@lru_cache(maxsize=1 << 18)
def parse_date(text: str) -> DateParse:
    """Parse one date cell (see the module docstring); `text` need not be trimmed."""
    t = remove_spaces(to_halfwidth(trim(text)))
    m = _TIME_SUFFIX.match(to_halfwidth(trim(text)))
    if m:
        t = remove_spaces(m.group(1))
    if not t:
        return DateParse(None, "date_format")
    if (m := _YMD.match(t)) or (m := _YMD8.match(t)):
        res = _ymd(int(m.group(1)), int(m.group(2)), int(m.group(3)), "date_format")
        if res.value is not None and res.value == trim(text):
            return DateParse(res.value)
        return res
    if m := _YM.match(t):
        return _month_only(int(m.group(1)), int(m.group(2)))
    if (m := _Y.match(t)) and int(m.group(1)) in YEAR_LIKE:
        y = int(m.group(1))
        if DATE_MIN.year <= y <= DATE_MAX.year:
            return DateParse(None, "date_year_only", f"{y:04d}")
        return DateParse(None, "date_out_of_range", f"{y:04d}")
    if (m := _YM6.match(t)) and int(m.group(1)) in YEAR_LIKE and 1 <= int(m.group(2)) <= 12:
        return _month_only(int(m.group(1)), int(m.group(2)))
    if m := _SERIAL.match(t):
        return excel_serial(int(m.group(1)))
    return DateParse(None, "date_format")


def _month_only(y: int, mo: int) -> DateParse:
    if not 1 <= mo <= 12:
        return DateParse(None, "date_impossible", f"{y:04d}")
    if not DATE_MIN.year <= y <= DATE_MAX.year:
        return DateParse(None, "date_out_of_range", f"{y:04d}-{mo:02d}")
    return DateParse(None, "date_month_only", f"{y:04d}-{mo:02d}")


def excel_serial(serial: int) -> DateParse:
    """An Excel (1900 date system) serial day number → date, within 1900-01-01…2030-12-31."""
    if serial == 60:
        return DateParse(None, "date_impossible", "1900-02")
    if serial < 1 or serial > SERIAL_MAX:
        return DateParse(None, "date_out_of_range")
    dt = EXCEL_EPOCH + timedelta(days=serial) if serial > 60 else date(1899, 12, 31) + timedelta(days=serial)
    return DateParse(dt.isoformat(), rule="excel_serial")


def standardise_dates(values: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
    """(value, rule, issue code, partial) for a trimmed date column (nulls stay null).

    Every distinct string is parsed once (canonical-looking ones too: ``2019-02-30``
    must be caught).  `value` is the canonical date, or the input where an issue
    is raised; `rule` names the conversion where the value changed."""
    values = as_large(values)
    n = len(values)
    null = pa.nulls(n, LS)
    if values.null_count == n:
        return values, null, null, null
    uniq = pc.unique(pc.drop_null(values))
    parsed = [parse_date(u) for u in uniq.to_pylist()]
    pos = pc.index_in(values, uniq)  # null where the value is null
    u_val = pa.array([p.value for p in parsed], LS)
    value = pc.coalesce(u_val.take(pos), values)
    out = [value]
    for attr in ("rule", "code", "partial"):
        u = pa.array([getattr(p, attr) for p in parsed], LS)
        out.append(u.take(pos) if u.null_count < len(u) else null)
    return tuple(out)
